// Signed records: JWS (RFC 7515) in flattened JSON serialization,
//   {"payload":"<b64url event>","protected":"<b64url header>","signature":"<b64url>"}
// with header {"alg":..,"kid":..,"typ":"certledger-event+json"}. The record
// bytes are what the Merkle tree hashes and what Kafka carries. Verification
// works on the received base64url text; nothing is re-serialized.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "ledger/crypto/keys.h"
#include "ledger/util/result.h"

namespace certledger::crypto {

inline constexpr std::string_view kEventTyp = "certledger-event+json";

struct JwsParts {
  std::string protected_b64;
  std::string payload_b64;
  std::string signature;  // raw bytes
  std::string alg;
  std::string kid;
  std::string payload;  // decoded payload bytes (the event JSON)
  std::string signing_input() const { return protected_b64 + "." + payload_b64; }
};

Result<std::string> jws_sign(const PrivateKey& key, std::string_view kid, std::string_view payload);
// Parses and checks the structure (members, base64url, header alg/kid/typ).
Result<JwsParts> jws_parse(std::string_view record);
// Checks the signature with `key`, and that the header alg matches the key.
Status jws_verify(const JwsParts& parts, const PublicKey& key);

}  // namespace certledger::crypto
