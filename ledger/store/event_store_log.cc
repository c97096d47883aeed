// EventStore: the log itself (records by position, streams, Merkle nodes),
// its checkpoints with their listeners, and a witness's state. The store's
// opening, families, claims, blobs and the relay cursor are in
// event_store.cc.
#include <rocksdb/db.h>

#include "ledger/store/event_store.h"
#include "ledger/store/keys.h"
#include "ledger/store/raw.h"
#include "ledger/util/encoding.h"

namespace certledger::store {

namespace {
// A witness's keys in the meta family (doc/storage_format.md).
constexpr std::string_view kWitnessed = "witness/", kEvidence = "witness-evidence/";
}  // namespace

std::optional<std::string> EventStore::witnessed(std::string_view origin) const {
  return get(kCfMeta, std::string(kWitnessed) + std::string(origin));
}

Status EventStore::put_witnessed(std::string_view origin, std::string_view note) {
  return put_sync(kCfMeta, std::string(kWitnessed) + std::string(origin), note);
}

Status EventStore::add_witness_evidence(std::string_view origin, std::string_view evidence) {
  // Key: prefix, be64(nanoseconds now), origin: in the order found.
  std::string key(kEvidence);
  put_be64(key, static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()));
  key += origin;
  return put_sync(kCfMeta, key, evidence);
}

std::vector<std::pair<std::string, std::string>> EventStore::witness_evidence() const {
  std::vector<std::pair<std::string, std::string>> out;
  (void)scan_prefix(kCfMeta, kEvidence, [&](std::string_view k, std::string_view v) {
    if (k.size() > kEvidence.size() + 8) out.emplace_back(std::string(k.substr(kEvidence.size() + 8)), std::string(v));
    return true;
  });
  return out;
}

Status EventStore::put_checkpoint(uint64_t size, std::string_view note) {
  CL_TRY(put_sync(kCfCheckpoints, be64(size), note));
  std::vector<CheckpointListener> listeners;
  {
    std::lock_guard lock(listeners_mu_);
    listeners = checkpoint_listeners_;
  }
  const std::string n(note);
  for (const auto& fn : listeners) fn(size, n);
  return {};
}

void EventStore::add_checkpoint_listener(CheckpointListener fn) const {
  std::lock_guard lock(listeners_mu_);
  checkpoint_listeners_.push_back(std::move(fn));
}

Result<std::string> EventStore::record_at(uint64_t position) const {
  std::string value;
  auto st = db_->Get(rocksdb::ReadOptions(), cf(kCfEvents), event_key(position), &value);
  if (st.IsNotFound()) return make_error(Errc::not_found, "no event at position " + std::to_string(position));
  if (!st.ok()) return rocks_error(st, "read event");
  return value;
}

Status EventStore::scan(uint64_t from, uint64_t to, const std::function<bool(uint64_t, std::string_view)>& fn) const {
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  // Long scans read ahead: one read per MB instead of one per 4 KB block.
  if (to == 0 || to - from >= 256) ro.readahead_size = 1 << 20;
  std::string upper;
  rocksdb::Slice upper_slice;
  if (to != 0) {
    upper = event_key(to + 1);
    upper_slice = upper;
    ro.iterate_upper_bound = &upper_slice;
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(kCfEvents)));
  for (it->Seek(event_key(from)); it->Valid(); it->Next()) {
    if (it->key().size() != 8) return make_error(Errc::corruption, "malformed event key");
    uint64_t pos = get_be64(std::string_view(it->key().data(), 8));
    if (!fn(pos, std::string_view(it->value().data(), it->value().size()))) return {};
  }
  if (!it->status().ok()) return rocks_error(it->status(), "scan events");
  return {};
}

StreamHead EventStore::head(std::string_view stream) const {
  auto v = get(kCfHeads, stream);
  if (!v) return {};
  auto h = StreamHead::decode(*v);
  return h ? *h : StreamHead{};
}

Result<std::vector<uint64_t>> EventStore::stream_positions(std::string_view stream) const {
  std::vector<uint64_t> out;
  bool malformed = false;
  CL_TRY(scan_prefix(kCfStreams, stream_prefix(stream), [&](std::string_view, std::string_view v) {
    if (v.size() != 8) return !(malformed = true);
    out.push_back(get_be64(v));
    return true;
  }));
  if (malformed) return make_error(Errc::corruption, "malformed stream index value");
  return out;
}

Result<Hash256> EventStore::merkle_node(merkle::NodeId id) const {
  auto v = get(kCfMerkle, merkle_key(id));
  auto h = v ? hash_from_bytes(*v) : std::nullopt;
  if (!h)
    return make_error(Errc::corruption,
                      "missing Merkle node level " + std::to_string(id.level) + " index " + std::to_string(id.index));
  return *h;
}

Result<std::string> EventStore::merkle_nodes(uint8_t level, uint64_t first, uint32_t count) const {
  std::string out;
  out.reserve(size_t{count} * 32);
  uint64_t next = first;
  bool bad = false;
  CL_TRY(scan_keys(kCfMerkle, merkle_key({level, first}), merkle_key({level, first + count}), false,
                   [&](std::string_view k, std::string_view v) {
                     // Keys are level || be64(index): in index order.
                     if (v.size() != 32 || get_be64(k.substr(1)) != next) {
                       bad = true;
                       return false;
                     }
                     out += v;
                     ++next;
                     return true;
                   }));
  if (bad || next != first + count)
    return make_error(Errc::not_found, "no " + std::to_string(count) + " nodes at level " + std::to_string(level) +
                                           " from index " + std::to_string(first));
  return out;
}

merkle::NodeSource EventStore::node_source() const {
  return [this](merkle::NodeId id) { return merkle_node(id); };
}

std::optional<std::pair<uint64_t, std::string>> EventStore::latest_checkpoint() const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf(kCfCheckpoints)));
  it->SeekToLast();
  if (!it->Valid() || it->key().size() != 8) return std::nullopt;
  return std::make_pair(get_be64(std::string_view(it->key().data(), 8)), it->value().ToString());
}

std::optional<std::string> EventStore::checkpoint_at(uint64_t size) const { return get(kCfCheckpoints, be64(size)); }

std::vector<std::pair<uint64_t, std::string>> EventStore::checkpoints(uint64_t from_size) const {
  std::vector<std::pair<uint64_t, std::string>> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf(kCfCheckpoints)));
  for (it->Seek(be64(from_size)); it->Valid(); it->Next())
    if (it->key().size() == 8)
      out.emplace_back(get_be64(std::string_view(it->key().data(), 8)), it->value().ToString());
  return out;
}

}  // namespace certledger::store
