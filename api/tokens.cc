#include "api/tokens.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <openssl/crypto.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ledger/util/encoding.h"
#include "ledger/util/hash.h"
#include "ledger/util/json.h"
#include "ledger/util/random.h"
#include "ledger/util/time.h"

namespace certledger::api {

using nlohmann::json;
namespace fs = std::filesystem;

Result<std::vector<TokenInfo>> TokenStore::load() const {
  std::vector<TokenInfo> out;
  std::ifstream in(path_);
  if (!in) return out;  // no file: no tokens
  std::stringstream ss;
  ss << in.rdbuf();
  auto parsed = parse_json(ss.str(), path_);
  if (!parsed.ok() || !parsed->is_object() || !parsed->contains("tokens") || !(*parsed)["tokens"].is_array())
    return make_error(Errc::corruption, path_ + " is not a token file");
  for (const auto& t : (*parsed)["tokens"]) {
    if (!t.is_object()) return make_error(Errc::corruption, path_ + ": a token entry is not an object");
    for (const char* k : {"id", "hash", "authority", "role", "operator", "subject", "created", "revoked", "scope"})
      if (t.contains(k) && !t[k].is_string())
        return make_error(Errc::corruption, path_ + ": \"" + std::string(k) + "\" must be a string");
    TokenInfo i;
    i.id = t.value("id", "");
    i.hash = t.value("hash", "");
    i.authority = t.value("authority", "");
    auto role = domain::parse_role(t.value("role", ""));
    if (!role) return make_error(Errc::corruption, path_ + ": bad role for token " + i.id);
    i.role = *role;
    i.operator_id = t.value("operator", "");
    i.subject = t.value("subject", "");
    i.created = t.value("created", "");
    i.revoked = t.value("revoked", "");
    i.log_wide = t.value("scope", "") == "log";
    if (i.log_wide != i.authority.empty())
      return make_error(Errc::corruption, path_ + ": token " + i.id + " needs an authority or scope \"log\", not both");
    out.push_back(std::move(i));
  }
  return out;
}

Status TokenStore::save(const std::vector<TokenInfo>& tokens) const {
  json arr = json::array();
  for (const auto& t : tokens) {
    arr.push_back({{"id", t.id},
                   {"hash", t.hash},
                   {"authority", t.authority},
                   {"role", domain::role_name(t.role)},
                   {"operator", t.operator_id},
                   {"subject", t.subject},
                   {"created", t.created},
                   {"revoked", t.revoked}});
    if (t.log_wide) arr.back()["scope"] = "log";
  }
  std::string text = json{{"tokens", arr}}.dump(2) + "\n";
  std::string tmp = path_ + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return make_error(Errc::io_error, "cannot write " + tmp);
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path_.c_str()) != 0) return make_error(Errc::io_error, "cannot write " + path_);
  return {};
}

Result<std::string> TokenStore::create(const std::string& authority, domain::Role role, const std::string& operator_id,
                                       const std::string& subject, bool log_wide) {
  if ((role == domain::Role::institution) == subject.empty())
    return make_error(Errc::invalid_argument, "institution tokens, and only they, name the institution's certificate");
  if (log_wide && role != domain::Role::auditor && role != domain::Role::admin)
    return make_error(Errc::invalid_argument, "only auditor and admin tokens can be log-wide");
  if (log_wide != authority.empty())
    return make_error(Errc::invalid_argument, "a token names one authority, or is log-wide and names none");
  if (operator_id.empty()) return make_error(Errc::invalid_argument, "a token names its operator");
  std::lock_guard lock(mu_);
  CL_ASSIGN(auto tokens, load());
  TokenInfo t;
  t.id = "t" + hex_encode(random_bytes(4));
  const std::string text = "clt_" + t.id + "_" + base64url_encode(random_bytes(32));
  t.hash = hash_hex(sha256(text));
  t.authority = authority;
  t.role = role;
  t.operator_id = operator_id;
  t.subject = subject;
  t.log_wide = log_wide;
  t.created = format_rfc3339_ms(system_now_ms());
  tokens.push_back(t);
  CL_TRY(save(tokens));
  return text;
}

Status TokenStore::revoke(const std::string& id) {
  std::lock_guard lock(mu_);
  CL_ASSIGN(auto tokens, load());
  for (auto& t : tokens)
    if (t.id == id) {
      if (!t.revoked.empty()) return make_error(Errc::already_exists, "token " + id + " is already revoked");
      t.revoked = format_rfc3339_ms(system_now_ms());
      return save(tokens);
    }
  return make_error(Errc::not_found, "no token " + id);
}

Result<std::vector<TokenInfo>> TokenStore::list() const { return load(); }

void TokenStore::refresh(bool force) {
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_check_ < std::chrono::milliseconds(250) && last_check_.time_since_epoch().count()) return;
  last_check_ = now;
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    cache_.clear();
    cache_id_ = {};
    return;
  }
  FileId id{static_cast<uint64_t>(st.st_ino), static_cast<uint64_t>(st.st_size),
            static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
  if (id == cache_id_) return;
  auto t = load();
  if (t.ok()) {
    cache_ = std::move(*t);
    cache_id_ = id;
  }
}

Result<TokenInfo> TokenStore::authenticate(std::string_view bearer) {
  // clt_<id>_<secret>
  if (bearer.substr(0, 4) != "clt_") return make_error(Errc::unauthenticated, "malformed bearer token");
  auto us = bearer.find('_', 4);
  if (us == std::string_view::npos) return make_error(Errc::unauthenticated, "malformed bearer token");
  std::string id(bearer.substr(4, us - 4));
  const std::string hash = hash_hex(sha256(bearer));
  std::lock_guard lock(mu_);
  refresh();
  // A token made a moment ago is in the file but not yet in the cache.
  if (std::none_of(cache_.begin(), cache_.end(), [&](const TokenInfo& t) { return t.id == id; })) refresh(true);
  for (const auto& t : cache_)
    if (t.id == id) {
      if (t.hash.size() != hash.size() || CRYPTO_memcmp(t.hash.data(), hash.data(), hash.size()) != 0) break;
      if (!t.revoked.empty()) return make_error(Errc::unauthenticated, "this token was revoked");
      return t;
    }
  return make_error(Errc::unauthenticated, "unknown or invalid bearer token");
}

int RateLimiter::take(const std::string& client) {
  std::lock_guard lock(mu_);
  auto now = std::chrono::steady_clock::now();
  auto [it, fresh] = buckets_.try_emplace(client, Bucket{burst_, now});
  Bucket& b = it->second;
  if (!fresh) {
    double elapsed = std::chrono::duration<double>(now - b.at).count();
    b.tokens = std::min(burst_, b.tokens + elapsed * rate_);
    b.at = now;
  }
  if (buckets_.size() > 100000) buckets_.clear();  // bounded memory under address churn
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return 0;
  }
  return std::max(1, static_cast<int>(std::ceil((1.0 - b.tokens) / rate_)));
}

}  // namespace certledger::api
