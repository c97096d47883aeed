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

VerifyCache::VerifyCache(size_t capacity) : per_shard_((capacity + kShards - 1) / kShards), shards_(kShards) {}

uint64_t VerifyCache::hash(std::string_view token) {
  static_assert(sizeof(size_t) == 8);
  return std::hash<std::string_view>{}(token);
}

std::shared_ptr<const VerifyCache::Entry> VerifyCache::find(std::string_view token) const {
  if (per_shard_ == 0) return nullptr;
  const uint64_t h = hash(token);
  Shard& s = shard(h);
  std::lock_guard lock(s.mu);
  auto it = s.map.find(h);
  if (it == s.map.end() || it->second.first->token != token) return nullptr;
  return it->second.first;
}

void VerifyCache::put(std::shared_ptr<const Entry> entry) {
  if (per_shard_ == 0 || !entry) return;
  const uint64_t h = hash(entry->token);
  Shard& s = shard(h);
  std::lock_guard lock(s.mu);
  if (auto it = s.map.find(h); it != s.map.end()) {
    s.order.erase(it->second.second);
    s.map.erase(it);
  }
  while (s.map.size() >= per_shard_ && !s.order.empty()) {
    s.map.erase(s.order.front());
    s.order.pop_front();
  }
  s.order.push_back(h);
  s.map.emplace(h, std::make_pair(std::move(entry), std::prev(s.order.end())));
}

size_t VerifyCache::size() const {
  size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard lock(s.mu);
    n += s.map.size();
  }
  return n;
}

}  // namespace certledger::api
