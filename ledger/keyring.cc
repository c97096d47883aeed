#include "ledger/keyring.h"

#include <algorithm>
#include <filesystem>

namespace certledger {

namespace fs = std::filesystem;

KeyRing::KeyRing(std::string dir, std::string passphrase) : dir_(std::move(dir)), passphrase_(std::move(passphrase)) {}

std::string KeyRing::path(std::string_view name) const {
  return (fs::path(dir_) / (std::string(name) + ".pem")).string();
}

bool KeyRing::has_file(std::string_view name) const {
  std::error_code ec;
  return fs::exists(path(name), ec);
}

std::vector<std::string> KeyRing::names() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir_, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file() || it->path().extension() != ".pem") continue;
    out.push_back(fs::relative(it->path(), dir_).replace_extension().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<crypto::PrivateKey> KeyRing::read(std::string_view name) const {
  return crypto::PrivateKey::load(path(name), passphrase_);
}

Result<crypto::PrivateKey> KeyRing::read_or_create(std::string_view name, crypto::KeyAlg alg) const {
  std::lock_guard lock(create_mu_);
  const fs::path file = path(name);
  if (fs::exists(file)) return read(name);
  std::error_code ec;
  // The key ring's folder and every folder under it on the way to the key
  // are the owner's alone.
  fs::path d(dir_);
  fs::create_directories(d, ec);
  fs::permissions(d, fs::perms::owner_all, ec);
  for (const auto& part : fs::path(name).parent_path()) {
    d /= part;
    fs::create_directories(d, ec);
    fs::permissions(d, fs::perms::owner_all, ec);
  }
  CL_ASSIGN(auto key, crypto::PrivateKey::generate(alg));
  CL_TRY(key.save(file.string(), passphrase_));
  return key;
}

void KeyRing::hold(const std::string& kid, std::shared_ptr<const crypto::PrivateKey> key) {
  std::unique_lock lock(held_mu_);
  held_[kid] = std::move(key);
}

void KeyRing::release(const std::string& kid) {
  std::unique_lock lock(held_mu_);
  held_.erase(kid);
}

Result<std::shared_ptr<const crypto::PrivateKey>> KeyRing::held(const std::string& kid) const {
  std::shared_lock lock(held_mu_);
  auto it = held_.find(kid);
  if (it == held_.end()) return make_error(Errc::unavailable, "private key " + kid + " is not available in " + dir_);
  return it->second;
}

}  // namespace certledger
