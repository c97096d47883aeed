#include "api/verify_cache.h"

#include <functional>

namespace certledger::api {

std::optional<BodyTemplate> BodyTemplate::make(const std::string& rendered, std::string_view time_mark,
                                               std::string_view position_mark) {
  auto once = [&](std::string_view mark) -> std::optional<size_t> {
    const size_t at = rendered.find(mark);
    if (at == std::string::npos || rendered.find(mark, at + 1) != std::string::npos) return std::nullopt;
    return at;
  };
  const auto t = once(time_mark), p = once(position_mark);
  if (!t || !p) return std::nullopt;
  BodyTemplate b;
  b.time_first_ = *t < *p;
  const size_t first = std::min(*t, *p), second = std::max(*t, *p);
  const size_t first_len = b.time_first_ ? time_mark.size() : position_mark.size();
  if (first + first_len > second) return std::nullopt;  // overlapping marks
  b.a_ = rendered.substr(0, first);
  b.b_ = rendered.substr(first + first_len, second - first - first_len);
  b.c_ = rendered.substr(second + (b.time_first_ ? position_mark.size() : time_mark.size()));
  return b;
}

std::optional<BodyTemplate> BodyTemplate::render(const Renderer& render, bool html) {
  static constexpr std::string_view kTimeMark =
                                        "\x01"
                                        "as_of"
                                        "\x01",
                                    kTimeMarkJson = "\\u0001as_of\\u0001";
  static constexpr uint64_t kPositionMark = 9007199254740993ull;  // 2^53 + 1
  return make(render(kTimeMark, kPositionMark), html ? kTimeMark : kTimeMarkJson, std::to_string(kPositionMark));
}

std::string BodyTemplate::fill(std::string_view time, uint64_t position) const {
  const std::string pos = std::to_string(position);
  std::string out;
  out.reserve(a_.size() + b_.size() + c_.size() + time.size() + pos.size());
  out += a_;
  out += time_first_ ? time : std::string_view(pos);
  out += b_;
  out += time_first_ ? std::string_view(pos) : time;
  out += c_;
  return out;
}

namespace {
constexpr size_t kShards = 16;
}

bool VerifyCache::Entry::set_token(std::string_view t) {
  if (t.size() > kMaxToken) return false;
  std::copy(t.begin(), t.end(), token_bytes.begin());
  token_size = static_cast<uint8_t>(t.size());
  return true;
}

VerifyCache::VerifyCache(size_t capacity) : per_shard_((capacity + kShards - 1) / kShards), shards_(kShards) {
  if (per_shard_ == 0) return;
  size_t n = 8;
  while (n < 2 * per_shard_) n <<= 1;
  for (auto& s : shards_) s.slots.resize(n);
}

uint64_t VerifyCache::hash(std::string_view token) {
  static_assert(sizeof(size_t) == 8);
  const uint64_t h = std::hash<std::string_view>{}(token);
  return h ? h : 1;  // 0 marks a free slot
}

size_t VerifyCache::Shard::probe(uint64_t h, std::string_view token) const {
  const size_t mask = slots.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask)
    if (slots[i].hash == 0 || (slots[i].hash == h && slots[i].entry->token() == token)) return i;
}

// Backward-shift deletion: later members of the run move up so every
// entry stays reachable from its home slot without tombstones.
void VerifyCache::Shard::erase(size_t i) {
  const size_t mask = slots.size() - 1;
  slots[i] = Slot{};
  --count;
  for (size_t j = (i + 1) & mask; slots[j].hash != 0; j = (j + 1) & mask) {
    const size_t home = slots[j].hash & mask;
    // Slot j may move to the hole at i if its home is not in (i, j].
    if (((j - home) & mask) >= ((j - i) & mask)) {
      slots[i] = std::move(slots[j]);
      slots[j] = Slot{};
      i = j;
    }
  }
}

// The slot holding exactly this entry, by pointer (a stale record's entry
// may be gone: it is compared, never read).
size_t VerifyCache::Shard::holding(uint64_t h, const Entry* e) const {
  const size_t mask = slots.size() - 1;
  for (size_t k = h & mask; slots[k].hash != 0; k = (k + 1) & mask)
    if (slots[k].entry.get() == e) return k;
  return slots.size();
}

void VerifyCache::Shard::compact_order() {
  std::deque<std::pair<uint64_t, const Entry*>> live;
  for (const auto& [h, e] : order)
    if (holding(h, e) != slots.size()) live.emplace_back(h, e);
  order.swap(live);
}

std::shared_ptr<const VerifyCache::Entry> VerifyCache::find(std::string_view token) const {
  if (per_shard_ == 0) return nullptr;
  const uint64_t h = hash(token);
  Shard& s = shard(h);
  std::lock_guard lock(s.mu);
  const Slot& slot = s.slots[s.probe(h, token)];
  return slot.hash ? slot.entry : nullptr;
}

void VerifyCache::put(std::shared_ptr<const Entry> entry) {
  if (per_shard_ == 0 || !entry) return;
  const uint64_t h = hash(entry->token());
  Shard& s = shard(h);
  std::lock_guard lock(s.mu);
  size_t i = s.probe(h, entry->token());
  if (s.slots[i].hash == 0) {
    // Make room: drop the oldest live entries, skipping stale records.
    while (s.count >= per_shard_ && !s.order.empty()) {
      auto [oh, oe] = s.order.front();
      s.order.pop_front();
      if (size_t k = s.holding(oh, oe); k != s.slots.size()) s.erase(k);
    }
    i = s.probe(h, entry->token());
    ++s.count;
  }
  s.order.emplace_back(h, entry.get());
  s.slots[i] = Slot{h, std::move(entry)};
  if (s.order.size() > 2 * per_shard_ + 16) s.compact_order();
}

size_t VerifyCache::size() const {
  size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard lock(s.mu);
    n += s.count;
  }
  return n;
}

}  // namespace certledger::api
