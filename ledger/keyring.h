// Every private key of a data dir: the log key, the authorities' event
// signing keys, the document CA and each authority's document-signing and
// seal keys. They live as files in <data>/keys/ and nothing else reads or
// writes them:
//   <data>/keys/<name>.pem   PKCS#8 PEM, mode 0600, folders 0700,
//                            AES-256-CBC encrypted under the passphrase when
//                            one is set (CERTLEDGER_KEY_PASSPHRASE),
// so the passphrase rule holds for every key by construction. A name is a
// relative path without ".pem": "log/k1", "GD-ZJT/k2" (event signing keys,
// named by key id), "ca/ca-key", "GD-ZJT/document-signing", "GD-ZJT/seal-sm2".
// The key ring also holds the signing keys loaded for use, by key id.
//
// Thread-safe: creating a file is serialised; the keys held are shared,
// immutable objects.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/crypto/keys.h"
#include "ledger/util/result.h"

namespace certledger {

class KeyRing {
 public:
  KeyRing(std::string dir, std::string passphrase);

  const std::string& dir() const { return dir_; }
  std::string path(std::string_view name) const;  // <dir>/<name>.pem
  bool has_file(std::string_view name) const;
  // Names of every key file in the folder, sorted.
  std::vector<std::string> names() const;

  // The key in the file; a clear error when it is missing, unreadable or
  // encrypted under another passphrase.
  Result<crypto::PrivateKey> read(std::string_view name) const;
  // The key in the file, or a new one of `alg` written there when there is
  // no file yet. A file that exists is kept, never overwritten: it may be
  // the unpublished leftover of an interrupted command.
  Result<crypto::PrivateKey> read_or_create(std::string_view name, crypto::KeyAlg alg) const;

  // Signing keys in use, by key id.
  void hold(const std::string& kid, std::shared_ptr<const crypto::PrivateKey> key);
  void release(const std::string& kid);
  Result<std::shared_ptr<const crypto::PrivateKey>> held(const std::string& kid) const;

 private:
  std::string dir_, passphrase_;
  mutable std::mutex create_mu_;
  mutable std::shared_mutex held_mu_;
  std::map<std::string, std::shared_ptr<const crypto::PrivateKey>> held_;
};

}  // namespace certledger
