#include "ledger/records.h"

#include <future>

#include "ledger/store/event_store.h"

namespace certledger {

Status for_each_record(const store::EventStore& store, uint64_t from, uint64_t to,
                       const std::function<Status(domain::Record&)>& fn) {
  constexpr uint64_t kChunk = 2048;
  using Chunk = std::vector<Result<domain::Record>>;
  auto load = [&store, to](uint64_t start) {
    Chunk chunk;
    const uint64_t end = std::min(to, start + kChunk - 1);
    chunk.reserve(end - start + 1);
    uint64_t expect = start;
    auto st = store.scan(start, end, [&](uint64_t pos, std::string_view record) {
      if (pos != expect) {
        chunk.push_back(make_error(Errc::corruption, "position " + std::to_string(expect) + " is missing"));
        return false;
      }
      ++expect;
      chunk.push_back(domain::decode_record(pos, std::string(record)));
      return chunk.back().ok();
    });
    if (!st.ok()) chunk.push_back(st.error());
    else if (expect <= end && (chunk.empty() || chunk.back().ok()))
      chunk.push_back(make_error(Errc::corruption, "position " + std::to_string(expect) + " is missing"));
    return chunk;
  };
  if (from > to) return {};
  auto next = std::async(std::launch::async, load, from);
  for (uint64_t start = from; start <= to; start += kChunk) {
    Chunk current = next.get();
    if (to - start >= kChunk) next = std::async(std::launch::async, load, start + kChunk);
    for (auto& r : current) {
      if (!r.ok()) return r.error();
      CL_TRY(fn(*r));
    }
  }
  return {};
}

}  // namespace certledger
