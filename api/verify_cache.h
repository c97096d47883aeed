// Rendered public verification answers (/v/{token} JSON and HTML), kept
// per token between changes of their certificate, so a QR scan costs a hash
// lookup and two string copies instead of two RocksDB reads, a view decode
// and a JSON build.
//
// Never stale: an entry records the store's stream epochs of the
// certificate and of its authority, read before the view was read, and the
// China date its status was computed for (expiry). It is used only while
// those are unchanged. The sequencer bumps a stream's epoch after every
// commit to it and before acknowledging, so an answer after an
// acknowledged revocation never comes from an older entry. The time of the
// answer and the log position are filled in per request.
#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace certledger::api {

// A rendered body with two holes: the time of the answer and the log
// position, in the order they appear.
class BodyTemplate {
 public:
  // Splits `rendered` at the one occurrence of each mark; nullopt if a mark
  // is missing or occurs twice (then the answer is not cached).
  static std::optional<BodyTemplate> make(const std::string& rendered, std::string_view time_mark,
                                          std::string_view position_mark);
  std::string fill(std::string_view time, uint64_t position) const;

 private:
  std::string a_, b_, c_;
  bool time_first_ = true;
};

class VerifyCache {
 public:
  struct Entry {
    std::string token;  // the key
    std::string certificate, authority_stream;
    uint64_t certificate_epoch = 0, authority_epoch = 0;
    int32_t day = 0;  // China date (days since 1970-01-01) the status holds for
    // The two representations, each rendered when first asked for.
    std::optional<BodyTemplate> json, html;
    const std::optional<BodyTemplate>& body(bool page) const { return page ? html : json; }
  };
  // capacity: tokens held (each with up to two bodies); 0 disables the cache.
  explicit VerifyCache(size_t capacity);
  std::shared_ptr<const Entry> find(std::string_view token) const;
  // Keyed by entry->token; replaces an entry for the same token.
  void put(std::shared_ptr<const Entry> entry);
  size_t size() const;
  // Answers served from an entry / rendered (and cached when possible).
  void count(bool hit) { (hit ? hits_ : misses_).fetch_add(1, std::memory_order_relaxed); }
  uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }

 private:
  // Indexed by the token's 64-bit hash, not the token: a lookup touches
  // the table and the entry (which holds the token, compared on a hash
  // match), not a separately allocated key. Two tokens with the same hash
  // share a slot: the later put replaces the earlier entry (a miss, never
  // a wrong answer).
  struct Shard {
    mutable std::mutex mu;
    // Insertion order for eviction (FIFO: a refill moves an entry to the back).
    std::list<uint64_t> order;
    std::unordered_map<uint64_t, std::pair<std::shared_ptr<const Entry>, std::list<uint64_t>::iterator>> map;
  };
  static uint64_t hash(std::string_view token);
  Shard& shard(uint64_t h) const { return shards_[h >> 60]; }  // the top 4 bits: 16 shards
  std::atomic<uint64_t> hits_{0}, misses_{0};
  size_t per_shard_;
  mutable std::vector<Shard> shards_;
};

}  // namespace certledger::api
