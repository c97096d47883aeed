// API bearer tokens. Each token is bound to one authority and one role and
// names its operator (who is recorded in events). A log-wide token (auditor
// or admin only, granted on purpose with `ledgerctl token create --log-wide`)
// is bound to no authority: it reads the whole audit feed and may take
// backups; it acts on no certificate. Only SHA-256 hashes are
// stored, in <data>/tokens.json (written atomically by `ledgerctl token`);
// ledgerd rereads the file when it changes, so tokens can be created and
// revoked while it runs.
//
// Token text: "clt_<id>_<43 base64url chars of 256 random bits>".
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ledger/domain/lifecycle.h"
#include "ledger/util/result.h"

namespace certledger::api {

struct TokenInfo {
  std::string id;
  std::string hash;  // hex SHA-256 of the whole token text
  std::string authority;
  domain::Role role = domain::Role::clerk;
  std::string operator_id;
  std::string subject;    // institution role: the institution's certificate id
  bool log_wide = false;  // auditor/admin of the whole log (authority empty)
  std::string created;
  std::string revoked;  // RFC 3339 or empty
};

class TokenStore {
 public:
  explicit TokenStore(std::string path) : path_(std::move(path)) {}

  // Creation and revocation (ledgerctl). Returns the token text, shown once.
  Result<std::string> create(const std::string& authority, domain::Role role, const std::string& operator_id,
                             const std::string& subject = {}, bool log_wide = false);
  Status revoke(const std::string& id);
  Result<std::vector<TokenInfo>> list() const;

  // Authentication (ledgerd): the token's info, if valid and not revoked.
  Result<TokenInfo> authenticate(std::string_view bearer);

 private:
  Result<std::vector<TokenInfo>> load() const;
  Status save(const std::vector<TokenInfo>& tokens) const;
  void refresh(bool force = false);

  std::string path_;
  std::mutex mu_;
  std::vector<TokenInfo> cache_;
  // Identity of the file the cache was read from: saves rename a new file
  // into place, so the inode changes even when the mtime granularity hides it.
  struct FileId {
    uint64_t inode = 0, size = 0;
    int64_t mtime_ns = 0;
    bool operator==(const FileId&) const = default;
  } cache_id_;
  std::chrono::steady_clock::time_point last_check_{};
};

// A token bucket per client address (public lookups): `rate` per minute,
// `burst` at once. Thread-safe.
class RateLimiter {
 public:
  RateLimiter(double per_minute, double burst) : rate_(per_minute / 60.0), burst_(burst) {}
  // 0 if allowed, else the seconds to wait (for Retry-After).
  int take(const std::string& client);

 private:
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point at;
  };
  double rate_, burst_;
  std::mutex mu_;
  std::map<std::string, Bucket> buckets_;
};

}  // namespace certledger::api
