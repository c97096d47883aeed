// C2SP tlog-cosignature, cosignature/v1 (Ed25519): a witness's statement
// that, as of a time, the checkpoint is the largest consistent tree head it
// has seen for the log. A note signature line
//   — <witness name> base64(key ID || be64(time) || Ed25519 signature)
// over "cosignature/v1\ntime <time>\n" followed by the checkpoint body;
// key ID = SHA-256(<name> || "\n" || 0x04 || public key)[:4].
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "ledger/crypto/keys.h"
#include "ledger/util/result.h"

namespace certledger::merkle {

uint32_t cosigner_key_id(std::string_view name, const crypto::PublicKey& key);
// The witness's verifier key: <name>+<8 hex key ID>+<base64(0x04 || key)>.
std::string cosigner_verifier_key(std::string_view name, const crypto::PublicKey& key);
Result<std::pair<std::string, crypto::PublicKey>> parse_cosigner_verifier_key(std::string_view vkey);

// The cosignature line (ending in a newline) over a checkpoint's body (its
// text up to and including the line before the blank line).
Result<std::string> cosign(std::string_view body, std::string_view name, const crypto::PrivateKey& key, uint64_t time);
// The time of the note's cosignature by (name, key), nullopt if it carries
// none; an error if a line with that name and key ID does not verify.
Result<std::optional<uint64_t>> verify_cosignature(std::string_view note, std::string_view name,
                                                   const crypto::PublicKey& key);

}  // namespace certledger::merkle
