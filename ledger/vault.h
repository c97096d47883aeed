// The key vault: one data key per holder (a natural person, per issuing
// authority), under which the holder's personal data is sealed in the log
// (domain/privacy.h). The log keeps only ciphertext; destroying a holder's
// data key erases the holder (crypto-shredding) while every record, hash
// and proof stays as it was.
//
// KeyVault is the interface an HSM can implement. LocalVault keeps the
// keys in the store's "vault" family, each wrapped (AES key wrap, RFC 3394)
// under a key-encryption key derived from the node secret, an X25519 key
// file in <data>/keys/vault/node-x25519.pem (0600, encrypted under the key
// passphrase when one is set). The holder index maps a keyed hash of
// (authority, ID number) to the holder reference, so a lookup by ID number
// needs the vault and nothing else can brute-force the small ID space.
// doc/storage_format.md lists the entries.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/crypto/jwe.h"
#include "ledger/store/event_store.h"
#include "ledger/util/hash.h"

namespace certledger {

// In the vault family beside the keys: a holder uses a photo ('p' photo
// reference 0x00 holder reference -> empty), so an erasure removes a photo
// only with its last holder.
inline std::string photo_use_key(std::string_view photo, std::string_view holder) {
  std::string k = "p";
  k += photo;
  k += '\0';
  k += holder;
  return k;
}

struct HolderKey {
  std::string ref;        // holder reference: 22 base64url characters (128 random bits)
  std::string authority;  // the authority whose holder this is
  crypto::Aead enc = crypto::Aead::a256gcm;
  std::string key;  // the data key, aead_key_size(enc) bytes
  // A new holder's vault entries (family "vault"), to be written in the
  // batch of the first record sealed under the key; empty once stored.
  std::vector<std::pair<std::string, std::string>> writes;
};

class KeyVault {
 public:
  virtual ~KeyVault() = default;
  // The holder of `authority` with this ID number: the one the index
  // names, or a new reference and data key (of `enc`) whose entries
  // (HolderKey::writes) the caller stores with the record it seals; until
  // then (stored()) the vault hands the same new holder to every caller.
  // Serialised: one ID number gets one holder.
  virtual Result<HolderKey> holder(std::string_view authority, std::string_view id_number, crypto::Aead enc) = 0;
  // The record carrying a new holder's writes committed.
  virtual void stored(const HolderKey& key) = 0;
  // The reference the index holds for (authority, ID number), if any.
  virtual Result<std::optional<std::string>> find(std::string_view authority, std::string_view id_number) const = 0;
  // The holder's key; nullopt when it was destroyed or never held here.
  virtual Result<std::optional<HolderKey>> key(std::string_view ref) const = 0;
  // Destroys the data key and the index entry; idempotent.
  virtual Status destroy(std::string_view ref) = 0;
  // Holds a key received from elsewhere (an entitled replica's copy).
  virtual Status import(const HolderKey& key) = 0;
  // This node's X25519 public key (raw 32 bytes): what a primary names to
  // send it data keys (doc/kafka_topics.md, the keys topic), and the
  // opening of a data key so sent (a JWE, ECDH-ES to that key).
  virtual const std::string& public_key() const = 0;
  virtual Result<std::string> open_received(std::string_view jwe) const = 0;
  // Photos at rest: sealed under a key of this node's (AES-256-GCM, the
  // reference as AAD) before they are stored; opened for a read. A stored
  // value without the seal's mark is a photo stored before photos were
  // sealed, read as it is.
  virtual Result<std::string> seal_blob(std::string_view ref, std::string_view bytes) const = 0;
  virtual Result<std::string> open_blob(std::string_view ref, std::string_view stored) const = 0;
  // A digest of data that may hold personal data (an idempotent request's
  // fields), keyed with a key of this node's: stored, it cannot be searched
  // by hashing guesses (a 身份证号 hides eight digits, mostly a birth date).
  virtual Hash256 keyed_digest(std::string_view data) const = 0;
};

class LocalVault : public KeyVault {
 public:
  // Reads (or creates, unless read_only) the node secret under key_dir.
  static Result<std::unique_ptr<LocalVault>> open(store::EventStore& store, const std::string& key_dir,
                                                  std::string_view passphrase, bool read_only);
  static std::string node_secret_path(const std::string& key_dir);  // <key_dir>/vault/node-x25519.pem

  Result<HolderKey> holder(std::string_view authority, std::string_view id_number, crypto::Aead enc) override;
  void stored(const HolderKey& key) override;
  Result<std::optional<std::string>> find(std::string_view authority, std::string_view id_number) const override;
  Result<std::optional<HolderKey>> key(std::string_view ref) const override;
  Status destroy(std::string_view ref) override;
  Status import(const HolderKey& key) override;

  const std::string& public_key() const override { return secret_.public_raw; }
  // X25519 (ECDH-ES) with the node secret, or SM2 with the node's SM2 key
  // (<key_dir>/vault/node-sm2.pem, made by `ledgerctl vault-key --alg sm2`).
  Result<std::string> open_received(std::string_view jwe) const override;
  static std::string node_sm2_path(const std::string& key_dir);  // <key_dir>/vault/node-sm2.pem
  Result<std::string> seal_blob(std::string_view ref, std::string_view bytes) const override;
  Result<std::string> open_blob(std::string_view ref, std::string_view stored) const override;
  Hash256 keyed_digest(std::string_view data) const override;
  // The holder references with a key here, in order.
  std::vector<std::string> refs() const;

 private:
  LocalVault(store::EventStore& store, crypto::NodeSecret secret);
  std::string index_entry(std::string_view authority, std::string_view id_number) const;
  Result<std::vector<std::pair<std::string, std::string>>> entries(const HolderKey& k, std::string_view index) const;

  store::EventStore& store_;
  crypto::NodeSecret secret_;
  std::optional<crypto::PrivateKey> sm2_;  // the node's SM2 key, if it has one
  std::string kek_, index_key_, blob_key_, digest_key_;
  std::mutex mu_;
  std::map<std::string, HolderKey> pending_;  // index entry -> a new holder not yet stored
};

}  // namespace certledger
