// Checkpoints: C2SP tlog-checkpoint bodies in a C2SP signed note.
//
//   <origin>\n<tree size>\n<base64 root hash>\n[<extension>\n...]
//   \n
//   — <key name> <base64(4-byte key hash || Ed25519 signature)>\n
//
// The key hash is the first 4 bytes of SHA-256(name || "\n" || 0x01 ||
// public key). doc/checkpoint_format.md has the details.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/crypto/keys.h"
#include "ledger/util/hash.h"
#include "ledger/util/result.h"

namespace certledger::merkle {

struct Checkpoint {
  std::string origin;
  uint64_t size = 0;
  Hash256 root{};
  std::vector<std::string> extensions;  // e.g. "time 2026-11-23T09:33:00.123Z"
};

std::string checkpoint_body(const Checkpoint& c);
// C2SP signed-note key ID: SHA-256(name || "\n" || type || key bytes)[:4],
// and the verifier key <name>+<8 hex key ID>+<base64(type || key bytes)>.
// Type 0x01 is an Ed25519 note signature, 0x04 a cosignature/v1.
uint32_t signed_note_key_id(std::string_view name, unsigned char type, std::string_view key_bytes);
std::string signed_note_vkey(std::string_view name, unsigned char type, std::string_view key_bytes);
uint32_t note_key_hash(std::string_view name, const crypto::PublicKey& key);
// "<name>+<8 hex key hash>+<base64(0x01 || key)>", the verifier-key string
// that note tools (and our --trust file) use.
std::string note_verifier_key(std::string_view name, const crypto::PublicKey& key);
Result<std::pair<std::string, crypto::PublicKey>> parse_note_verifier_key(std::string_view vkey);

// Signs with an Ed25519 key; returns the whole note.
Result<std::string> sign_checkpoint(const Checkpoint& c, std::string_view key_name, const crypto::PrivateKey& key);
// Parses the note and verifies the signature line of `key_name`.
Result<Checkpoint> open_checkpoint(std::string_view note, std::string_view key_name, const crypto::PublicKey& key);
// Parses the body without checking signatures.
Result<Checkpoint> parse_checkpoint_body(std::string_view note);
// The value of the first extension line "<name> <value>", if any.
std::optional<std::string_view> checkpoint_extension(const Checkpoint& c, std::string_view name);
// The "time" line (unix seconds) of a checkpoint, or of a note's body.
std::optional<uint64_t> checkpoint_time(const Checkpoint& c);
std::optional<uint64_t> note_time(std::string_view note);

}  // namespace certledger::merkle
