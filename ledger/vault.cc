#include "ledger/vault.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "ledger/store/keys.h"
#include "ledger/util/encoding.h"
#include "ledger/util/json_scan.h"
#include "ledger/util/random.h"

namespace certledger {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Vault family keys: 'k' ref -> the wrapped key entry; 'i' index -> ref.
std::string key_entry(std::string_view ref) { return "k" + std::string(ref); }
std::string index_key(std::string_view index) { return "i" + std::string(index); }

}  // namespace

std::string LocalVault::node_secret_path(const std::string& key_dir) {
  return (fs::path(key_dir) / "vault" / "node-x25519.pem").string();
}

LocalVault::LocalVault(store::EventStore& store, crypto::NodeSecret secret)
    : store_(store), secret_(std::move(secret)) {
  kek_ = crypto::hkdf_sha256(secret_.private_raw, {}, "certledger vault kek v1", 32);
  index_key_ = crypto::hkdf_sha256(secret_.private_raw, {}, "certledger holder index v1", 32);
  blob_key_ = crypto::hkdf_sha256(secret_.private_raw, {}, "certledger blob key v1", 32);
  digest_key_ = crypto::hkdf_sha256(secret_.private_raw, {}, "certledger request digest v1", 32);
}

Hash256 LocalVault::keyed_digest(std::string_view data) const {
  return *hash_from_bytes(crypto::hmac_sha256(digest_key_, data));
}

Result<std::unique_ptr<LocalVault>> LocalVault::open(store::EventStore& store, const std::string& key_dir,
                                                     std::string_view passphrase, bool read_only) {
  const std::string path = node_secret_path(key_dir);
  std::error_code ec;
  if (!fs::exists(path)) {
    if (read_only) return make_error(Errc::not_found, "no vault key " + path);
    fs::create_directories(fs::path(path).parent_path(), ec);
    fs::permissions(fs::path(path).parent_path(), fs::perms::owner_all, ec);
  }
  CL_ASSIGN(auto secret, crypto::read_or_create_node_secret(path, passphrase));
  std::unique_ptr<LocalVault> v(new LocalVault(store, std::move(secret)));
  if (fs::exists(node_sm2_path(key_dir))) {
    CL_ASSIGN(auto sm2, crypto::PrivateKey::load(node_sm2_path(key_dir), passphrase));
    if (sm2.alg() != crypto::KeyAlg::sm2)
      return make_error(Errc::invalid_argument, node_sm2_path(key_dir) + " is not SM2");
    v->sm2_ = std::move(sm2);
  }
  return v;
}

std::string LocalVault::node_sm2_path(const std::string& key_dir) {
  return (fs::path(key_dir) / "vault" / "node-sm2.pem").string();
}

Result<std::string> LocalVault::open_received(std::string_view jwe) const {
  CL_ASSIGN(std::string alg, crypto::jwe_alg(jwe));
  if (alg == "SM2") {
    if (!sm2_) return make_error(Errc::unavailable, "a data key sent to an SM2 key, and this node has none");
    return crypto::jwe_sm2_decrypt(*sm2_, jwe);
  }
  return crypto::jwe_ecdh_es_decrypt(secret_.private_raw, jwe);
}

std::string LocalVault::index_entry(std::string_view authority, std::string_view id_number) const {
  std::string m(authority);
  m += '\0';
  m += id_number;
  return crypto::hmac_sha256(index_key_, m);
}

Result<std::vector<std::pair<std::string, std::string>>> LocalVault::entries(const HolderKey& k,
                                                                             std::string_view index) const {
  CL_ASSIGN(std::string wrapped, crypto::key_wrap(kek_, k.key));
  // {"authority","enc","index","wrapped"}, as nlohmann would write it.
  std::string v = R"({"authority":)";
  json_append_string(v, k.authority);
  v += R"(,"enc":")";
  v += crypto::aead_name(k.enc);
  v += R"(","index":")";
  v += base64url_encode(index);
  v += R"(","wrapped":")";
  v += base64url_encode(wrapped);
  v += "\"}";
  std::vector<std::pair<std::string, std::string>> out = {{key_entry(k.ref), std::move(v)}};
  if (!index.empty()) out.emplace_back(index_key(index), k.ref);
  return out;
}

Result<HolderKey> LocalVault::holder(std::string_view authority, std::string_view id_number, crypto::Aead enc) {
  if (id_number.empty()) return make_error(Errc::invalid_argument, "a holder needs an ID number", "id_number");
  const std::string index = index_entry(authority, id_number);
  if (auto ref = store_.get(store::kCfVault, index_key(index))) {
    CL_ASSIGN(auto k, key(*ref));
    if (k) {
      std::lock_guard lock(mu_);
      pending_.erase(index);
      return *k;
    }
    // An index entry whose key is gone (an erasure interrupted between
    // the two deletes): the holder starts anew.
  }
  // A new holder, made outside the lock (wrapping costs). Under it: a
  // holder another submitter made meanwhile wins, pending or stored (stored()
  // takes the pending entry away only after the record is written, so one
  // of the two is seen).
  HolderKey k;
  k.ref = base64url_encode(random_bytes(16));
  k.authority = std::string(authority);
  k.enc = enc;
  k.key = random_bytes(crypto::aead_key_size(enc));
  CL_ASSIGN(k.writes, entries(k, index));
  std::lock_guard lock(mu_);
  if (auto it = pending_.find(index); it != pending_.end()) return it->second;
  if (auto ref = store_.get(store::kCfVault, index_key(index))) {
    CL_ASSIGN(auto stored, key(*ref));
    if (stored) return *stored;
  }
  pending_.emplace(index, k);
  return k;
}

void LocalVault::stored(const HolderKey& k) {
  if (k.writes.size() < 2) return;
  std::lock_guard lock(mu_);
  pending_.erase(k.writes[1].first.substr(1));  // the index entry's key, without its 'i'
}

Result<std::optional<std::string>> LocalVault::find(std::string_view authority, std::string_view id_number) const {
  return store_.get(store::kCfVault, index_key(index_entry(authority, id_number)));
}

Result<std::optional<HolderKey>> LocalVault::key(std::string_view ref) const {
  auto v = store_.get(store::kCfVault, key_entry(ref));
  if (!v) return std::optional<HolderKey>();
  auto j = json::parse(*v, nullptr, false);
  if (!j.is_object() || !j.contains("wrapped") || !j["wrapped"].is_string())
    return make_error(Errc::corruption, "vault entry of holder " + std::string(ref) + " is malformed");
  auto wrapped = base64url_decode(j["wrapped"].get<std::string>());
  if (!wrapped) return make_error(Errc::corruption, "vault entry of holder " + std::string(ref) + " is malformed");
  HolderKey k;
  k.ref = std::string(ref);
  k.authority = j.value("authority", "");
  CL_ASSIGN(k.enc, crypto::parse_aead(j.value("enc", "")));
  auto raw = crypto::key_unwrap(kek_, *wrapped);
  if (!raw.ok())
    return make_error(Errc::corruption, "vault entry of holder " + std::string(ref) + ": " + raw.error().message);
  k.key = std::move(*raw);
  return std::optional<HolderKey>(std::move(k));
}

Status LocalVault::destroy(std::string_view ref) {
  std::lock_guard lock(mu_);
  std::vector<std::string> keys = {key_entry(ref)};
  if (auto v = store_.get(store::kCfVault, key_entry(ref))) {
    auto j = json::parse(*v, nullptr, false);
    if (j.is_object() && j.contains("index") && j["index"].is_string())
      if (auto index = base64url_decode(j["index"].get<std::string>()); index && !index->empty())
        keys.push_back(index_key(*index));
  }
  return store_.vault_erase(keys);
}

Status LocalVault::import(const HolderKey& k) {
  if (k.key.size() != crypto::aead_key_size(k.enc))
    return make_error(Errc::invalid_argument, "a data key of the wrong size for " + std::string(aead_name(k.enc)));
  CL_ASSIGN(auto writes, entries(k, {}));
  std::lock_guard lock(mu_);
  for (const auto& [key, value] : writes) CL_TRY(store_.vault_put(key, value));
  return {};
}

// A sealed photo: "CLB1" || IV (12) || ciphertext || tag.
constexpr std::string_view kBlobMark = "CLB1";

Result<std::string> LocalVault::seal_blob(std::string_view ref, std::string_view bytes) const {
  const std::string iv = random_bytes(12);
  CL_ASSIGN(std::string sealed, crypto::aead_seal(crypto::Aead::a256gcm, blob_key_, iv, ref, bytes));
  return std::string(kBlobMark) + iv + sealed;
}

Result<std::string> LocalVault::open_blob(std::string_view ref, std::string_view stored) const {
  if (!stored.starts_with(kBlobMark)) return std::string(stored);
  if (stored.size() < kBlobMark.size() + 12 + 16)
    return make_error(Errc::corruption, "photo " + std::string(ref) + " is cut short");
  stored.remove_prefix(kBlobMark.size());
  auto opened = crypto::aead_open(crypto::Aead::a256gcm, blob_key_, stored.substr(0, 12), ref, stored.substr(12));
  if (!opened.ok()) return make_error(Errc::corruption, "photo " + std::string(ref) + ": " + opened.error().message);
  return opened;
}

std::vector<std::string> LocalVault::refs() const {
  std::vector<std::string> out;
  (void)store_.scan_prefix(store::kCfVault, "k", [&](std::string_view k, std::string_view) {
    out.emplace_back(k.substr(1));
    return true;
  });
  return out;
}

}  // namespace certledger
