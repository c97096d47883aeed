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
#include <array>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
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

  // Renders a body through render(time, position) with stand-ins in place
  // of both, and splits it there: the time stand-in is a control-character
  // word (JSON bodies carry it escaped, pages as it is), the position one
  // 2^53 + 1, which no log reaches. nullopt when a rendered field happens to
  // contain a stand-in (that answer is then not cached).
  using Renderer = std::function<std::string(std::string_view time, uint64_t position)>;
  static std::optional<BodyTemplate> render(const Renderer& render, bool html);

 private:
  std::string a_, b_, c_;
  bool time_first_ = true;
};

// The proof member of one token's answer at one tree size
// (projections::StatementProver::Proof): the bundle's lines before the
// checkpoint, escaped for a JSON string. The checkpoint note goes after
// them per answer (the newest note of that size).
struct ProofPart {
  uint64_t tree_size = 0;
  uint64_t position = 0;  // the statement's record; 0: the token is absent
  std::string body_json;
};

class VerifyCache {
 public:
  // Tokens longer than this are not cached (generated ones are 22 bytes).
  static constexpr size_t kMaxToken = 32;
  struct Entry {
    // The key, held inline so comparing it touches no other memory.
    std::array<char, kMaxToken> token_bytes{};
    uint8_t token_size = 0;
    // EventStore::epoch_slot of the certificate's and the authority's
    // streams, and their epochs when the view was read.
    size_t certificate_slot = 0, authority_slot = 0;
    uint64_t certificate_epoch = 0, authority_epoch = 0;
    int32_t day = 0;  // China date (days since 1970-01-01) the status holds for
    // The two representations, each rendered when first asked for.
    std::optional<BodyTemplate> json, html;
    uint64_t last_position = 0;  // the certificate's, as rendered
    // The newest proof made for this token; replaced when the checkpoint moves.
    mutable std::atomic<std::shared_ptr<const ProofPart>> proof;

    std::string_view token() const { return {token_bytes.data(), token_size}; }
    bool set_token(std::string_view t);  // false if longer than kMaxToken
    const std::optional<BodyTemplate>& body(bool page) const { return page ? html : json; }
  };
  // capacity: tokens held (each with up to two bodies); 0 disables the cache.
  explicit VerifyCache(size_t capacity);
  std::shared_ptr<const Entry> find(std::string_view token) const;
  // Keyed by entry->token(); replaces an entry for the same token. The
  // oldest entry of the shard makes room (FIFO; a refill counts as new).
  void put(std::shared_ptr<const Entry> entry);
  size_t size() const;
  // Answers served from an entry / rendered (and cached when possible).
  void count(bool hit) { (hit ? hits_ : misses_).fetch_add(1, std::memory_order_relaxed); }
  uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }

 private:
  // Open addressing with linear probing over (hash, entry) slots, at most
  // half full: a hit reads one slot and the entry. Hash 0 marks a free slot.
  struct Slot {
    uint64_t hash = 0;
    std::shared_ptr<const Entry> entry;
  };
  struct Shard {
    mutable std::mutex mu;
    std::vector<Slot> slots;  // a power of two
    size_t count = 0;
    // Insertion order: (hash, entry) per put; a record whose slot now holds
    // another entry is stale and skipped.
    std::deque<std::pair<uint64_t, const Entry*>> order;
    size_t probe(uint64_t h, std::string_view token) const;  // its slot, or the free slot ending its run
    size_t holding(uint64_t h, const Entry* e) const;        // slots.size() if none
    void erase(size_t i);
    void compact_order();
  };
  static uint64_t hash(std::string_view token);
  Shard& shard(uint64_t h) const { return shards_[h >> 60]; }  // the top 4 bits: 16 shards
  std::atomic<uint64_t> hits_{0}, misses_{0};
  size_t per_shard_;
  mutable std::vector<Shard> shards_;
};

}  // namespace certledger::api
