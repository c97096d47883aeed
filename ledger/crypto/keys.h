// Signing keys through OpenSSL 3 EVP: Ed25519 (default), ECDSA P-256 and
// SM2 with SM3 (distinguishing ID 1234567812345678, GB/T 32918). Signatures
// are in JOSE form: Ed25519 64 bytes; ES256 and SM2 raw r||s, 32+32 bytes.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "ledger/util/result.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace certledger::crypto {

enum class KeyAlg { ed25519, es256, sm2 };

const char* alg_name(KeyAlg a);                   // ed25519, es256, sm2 (CLI and config)
const char* jws_alg(KeyAlg a);                    // EdDSA, ES256, SM2-SM3 (JWS "alg")
Result<KeyAlg> parse_alg(std::string_view name);  // accepts both spellings
Result<KeyAlg> alg_from_jws(std::string_view jws_alg);

inline constexpr std::string_view kSm2DistinguishingId = "1234567812345678";

struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const;
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

// A public key. Immutable after construction; safe to share across threads.
class PublicKey {
 public:
  PublicKey(KeyAlg alg, PkeyPtr key);
  KeyAlg alg() const { return alg_; }
  Status verify(std::string_view message, std::string_view signature) const;
  nlohmann::json jwk() const;  // public members only
  std::string raw() const;     // Ed25519: 32 bytes; EC: 65-byte uncompressed point
  std::string spki_pem() const;
  static Result<PublicKey> from_jwk(const nlohmann::json& jwk);
  EVP_PKEY* pkey() const { return key_.get(); }

 private:
  KeyAlg alg_;
  std::shared_ptr<EVP_PKEY> key_;
};

// A private key. Signing is thread-safe (each call uses its own context).
class PrivateKey {
 public:
  static Result<PrivateKey> generate(KeyAlg alg);
  // PKCS#8 PEM, optionally encrypted (AES-256-CBC) when passphrase is set.
  static Result<PrivateKey> from_pem(std::string_view pem, std::string_view passphrase = {});
  // Key files of a data dir go through KeyRing (ledger/keyring.h), which
  // holds the passphrase rule; these take the passphrase explicitly.
  static Result<PrivateKey> load(const std::string& path, std::string_view passphrase);
  Result<std::string> to_pem(std::string_view passphrase = {}) const;
  // Writes with mode 0600, atomically (temp file + rename); refuses to overwrite.
  Status save(const std::string& path, std::string_view passphrase) const;

  KeyAlg alg() const { return alg_; }
  Result<std::string> sign(std::string_view message) const;
  PublicKey public_key() const;
  EVP_PKEY* pkey() const { return key_.get(); }

 private:
  PrivateKey(KeyAlg alg, std::shared_ptr<EVP_PKEY> key) : alg_(alg), key_(std::move(key)) {}
  KeyAlg alg_;
  std::shared_ptr<EVP_PKEY> key_;
};

// The last OpenSSL error as text (and clears the queue).
std::string openssl_error();

// Key files of any type: PKCS#8 PEM, AES-256-CBC under the passphrase when
// one is set (never a terminal prompt), written mode 0600 atomically
// (temp file, fsync, link) and never over an existing file.
Result<PkeyPtr> read_private_pem(std::string_view pem, std::string_view passphrase);
Result<std::string> private_pem(EVP_PKEY* key, std::string_view passphrase);
Status write_key_file(const std::string& path, std::string_view pem);

// A secret that lives in a key file of a data dir: an X25519 private key
// (the vault's node secret; ledger/vault.h), by the rule above.
// read_or_create never overwrites.
struct NodeSecret {
  std::string private_raw;  // 32 bytes
  std::string public_raw;   // 32 bytes
};
Result<NodeSecret> read_or_create_node_secret(const std::string& path, std::string_view passphrase);

}  // namespace certledger::crypto
