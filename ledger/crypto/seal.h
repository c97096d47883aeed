// Symmetric sealing of personal data (doc/event_format.md, "Personal data"):
// AEAD, key wrapping, keyed hashes and JWE (RFC 7516) compact serialization
// with direct key agreement ("alg":"dir"), all through OpenSSL 3 EVP.
//
//   A256GCM   AES-256-GCM, 96-bit IV, 128-bit tag (RFC 7518 §5.3)
//   SM4GCM    SM4-GCM (GB/T 32907 block cipher in GCM, RFC 8998), the
//             national-crypto option; a private JWE "enc" name. OpenSSL 3.0
//             has SM4 but not its GCM mode, so GCM is composed here over
//             the SM4 block cipher; the same composition over AES is checked
//             against OpenSSL's AES-GCM (tests/unit/seal_test.cc).
//   A256KW    AES key wrap (RFC 3394) of data keys under the vault's key.
#pragma once

#include <string>
#include <string_view>

#include "ledger/crypto/keys.h"
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

// JWE compact serialization, "alg":"dir": BASE64URL(header) ".." BASE64URL(iv)
// "." BASE64URL(ciphertext) "." BASE64URL(tag), AAD = ASCII(BASE64URL(header)).
// The header is {"alg":"dir","cty":cty,"enc":<enc>,"kid":kid} (members sorted).
Result<std::string> jwe_encrypt(Aead a, std::string_view key, std::string_view kid, std::string_view cty,
                                std::string_view plaintext);
struct JweParts {
  Aead enc = Aead::a256gcm;
  std::string kid;
  std::string cty;
};
// The header of a compact JWE, checked for shape (no decryption).
Result<JweParts> jwe_header(std::string_view compact);
Result<std::string> jwe_decrypt(std::string_view key, std::string_view compact);

// JWE compact serialization with "alg":"ECDH-ES" (RFC 7518 §4.6) to an
// X25519 key (RFC 8037 §3.2), "enc":"A256GCM": the content key is the
// Concat KDF (SHA-256) of the X25519 shared secret with an ephemeral key
// ("epk" in the header), AlgorithmID "A256GCM", empty apu/apv. What the
// keys topic wraps data keys in for each entitled consumer.
Result<std::string> jwe_ecdh_es_encrypt(std::string_view recipient_public_raw, std::string_view kid,
                                        std::string_view plaintext);
Result<std::string> jwe_ecdh_es_decrypt(std::string_view recipient_private_raw, std::string_view compact);

// The national-crypto alternative for a consumer with an SM2 key: a JWE
// compact serialization with "alg":"SM2" (a private name): a random 256-bit
// content key encrypted to the SM2 key (GB/T 32918.4, OpenSSL's SM2
// encryption with SM3: the DER C1C3C2 form) as the encrypted key, and
// "enc":"A256GCM" over the plaintext.
Result<std::string> jwe_sm2_encrypt(const PublicKey& recipient, std::string_view kid, std::string_view plaintext);
Result<std::string> jwe_sm2_decrypt(const PrivateKey& recipient, std::string_view compact);
// The "alg" of a compact JWE's header ("dir", "ECDH-ES", "SM2").
Result<std::string> jwe_alg(std::string_view compact);

// A secret that lives in a key file of a data dir: an X25519 private key in
// PKCS#8 PEM (mode 0600, AES-256-CBC under the passphrase when one is set,
// the same rule as the signing keys). read_or_create never overwrites.
struct NodeSecret {
  std::string private_raw;  // 32 bytes
  std::string public_raw;   // 32 bytes
};
Result<NodeSecret> read_or_create_node_secret(const std::string& path, std::string_view passphrase);

}  // namespace certledger::crypto
