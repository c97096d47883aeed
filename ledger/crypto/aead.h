// Symmetric primitives for sealing personal data (doc/event_format.md,
// "Personal data"): AEAD, key wrapping and keyed hashes, through OpenSSL 3
// EVP. The JWE forms built on them are in ledger/crypto/jwe.h.
//
//   A256GCM   AES-256-GCM, 96-bit IV, 128-bit tag (RFC 7518 §5.3)
//   SM4GCM    SM4-GCM (GB/T 32907 block cipher in GCM, RFC 8998), the
//             national-crypto option; a private JWE "enc" name. OpenSSL 3.0
//             has SM4 but not its GCM mode, so GCM is composed here over
//             the SM4 block cipher; the same composition over AES is checked
//             against OpenSSL's AES-GCM (tests/unit/sealing_test.cc).
//   A256KW    AES key wrap (RFC 3394) of data keys under the vault's key.
#pragma once

#include <string>
#include <string_view>

#include "ledger/util/result.h"

namespace certledger::crypto {

enum class Aead { a256gcm, sm4gcm };
const char* aead_name(Aead a);  // A256GCM, SM4GCM (the JWE "enc" names)
Result<Aead> parse_aead(std::string_view name);
size_t aead_key_size(Aead a);  // 32, 16

// ciphertext || 16-byte tag. REQUIRES: key of aead_key_size, iv of 12 bytes.
Result<std::string> aead_seal(Aead a, std::string_view key, std::string_view iv, std::string_view aad,
                              std::string_view plaintext);
// Fails (permission_denied) when the tag does not verify.
Result<std::string> aead_open(Aead a, std::string_view key, std::string_view iv, std::string_view aad,
                              std::string_view ciphertext_and_tag);
// GCM composed over a 16-byte block cipher given by name ("AES-256-ECB",
// "SM4-ECB"): what aead_seal uses for SM4; exposed for the cross-check.
Result<std::string> gcm_compose(std::string_view ecb_cipher, std::string_view key, std::string_view iv,
                                std::string_view aad, std::string_view data, bool encrypt, std::string* tag);

// RFC 3394 AES-256 key wrap: 32-byte kek; key a multiple of 8 bytes.
Result<std::string> key_wrap(std::string_view kek, std::string_view key);
Result<std::string> key_unwrap(std::string_view kek, std::string_view wrapped);

std::string hmac_sha256(std::string_view key, std::string_view message);
// RFC 5869 with SHA-256.
std::string hkdf_sha256(std::string_view ikm, std::string_view salt, std::string_view info, size_t length);
// Constant-time comparison of equal-length strings.
bool equal_secret(std::string_view a, std::string_view b);

}  // namespace certledger::crypto
