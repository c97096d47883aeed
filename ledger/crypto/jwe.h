// JWE (RFC 7516) compact serialization, the three forms the ledger uses:
//
//   dir      "alg":"dir": the content key is the holder's data key; the
//            personal member of a record (doc/event_format.md).
//   ECDH-ES  RFC 7518 §4.6 to an X25519 key (RFC 8037 §3.2), A256GCM: data
//            keys wrapped for a consumer on the keys topic.
//   SM2      a private "alg": a random 256-bit content key encrypted to an
//            SM2 key (GB/T 32918.4, OpenSSL's SM2 encryption with SM3, DER
//            C1C3C2) as the encrypted key, A256GCM: the national-crypto
//            alternative on the keys topic.
//
// Every form is BASE64URL(header) "." BASE64URL(encrypted key) "."
// BASE64URL(iv) "." BASE64URL(ciphertext) "." BASE64URL(tag), with AAD =
// ASCII(BASE64URL(header)) and headers written with sorted members.
#pragma once

#include <string>
#include <string_view>

#include "ledger/crypto/aead.h"
#include "ledger/crypto/keys.h"
#include "ledger/util/result.h"

namespace certledger::crypto {

// The header {"alg":"dir","cty":cty,"enc":<enc>,"kid":kid}.
Result<std::string> jwe_encrypt(Aead a, std::string_view key, std::string_view kid, std::string_view cty,
                                std::string_view plaintext);
struct JweParts {
  Aead enc = Aead::a256gcm;
  std::string kid;
  std::string cty;
};
// The header of a "dir" JWE, checked for shape (no decryption).
Result<JweParts> jwe_header(std::string_view compact);
Result<std::string> jwe_decrypt(std::string_view key, std::string_view compact);
// The header jwe_encrypt writes, exactly: members sorted, no spaces.
std::string jwe_dir_header(Aead enc, std::string_view kid, std::string_view cty);
// Whether a compact JWE is one jwe_encrypt wrote for this kid and cty:
// its header byte for byte, an empty encrypted key, a 96-bit IV, a 128-bit
// tag and a ciphertext that is base64url. Without decoding or parsing (a
// reader folding records checks each one): the encryption it names.
Result<Aead> check_dir_jwe(std::string_view compact, std::string_view kid, std::string_view cty);

// ECDH-ES with an ephemeral X25519 key ("epk"), Concat KDF (SHA-256,
// AlgorithmID "A256GCM", empty apu/apv).
Result<std::string> jwe_ecdh_es_encrypt(std::string_view recipient_public_raw, std::string_view kid,
                                        std::string_view plaintext);
Result<std::string> jwe_ecdh_es_decrypt(std::string_view recipient_private_raw, std::string_view compact);

Result<std::string> jwe_sm2_encrypt(const PublicKey& recipient, std::string_view kid, std::string_view plaintext);
Result<std::string> jwe_sm2_decrypt(const PrivateKey& recipient, std::string_view compact);

// The "alg" of a compact JWE's header ("dir", "ECDH-ES", "SM2").
Result<std::string> jwe_alg(std::string_view compact);

}  // namespace certledger::crypto
