// The event store: one RocksDB instance with a column family per concern.
// Only the Sequencer writes the core column families; everything here reads,
// concurrently and without waiting on the writer.
#pragma once

#include <rocksdb/db.h>

#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/merkle/tree.h"
#include "ledger/util/hash.h"
#include "ledger/util/result.h"

namespace certledger::store {

struct StreamHead {
  uint64_t version = 0;   // last seq of the stream, 0 if the stream is empty
  uint64_t position = 0;  // position of that event
  Hash256 hash{};         // SHA-256 of that signed record
  std::string encode() const;
  static std::optional<StreamHead> decode(std::string_view bytes);
};

struct StoreOptions {
  std::string path;
  bool create_if_missing = true;
  bool read_only = false;
  size_t block_cache_mb = 128;
  std::vector<std::string> extra_column_families;  // projections' families
  // Not owned; null = the default. Tests pass one whose files fail on demand.
  rocksdb::Env* env = nullptr;
};

class EventStore {
 public:
  static Result<std::unique_ptr<EventStore>> open(const StoreOptions& options);
  ~EventStore();
  EventStore(const EventStore&) = delete;
  EventStore& operator=(const EventStore&) = delete;

  rocksdb::DB* db() const { return db_.get(); }
  // nullptr if no such family was opened.
  rocksdb::ColumnFamilyHandle* cf(std::string_view name) const;
  const std::string& path() const { return path_; }

  // The last durable position (0 when empty). Published after each commit.
  uint64_t last_position() const { return last_position_.load(std::memory_order_acquire); }
  void publish_last_position(uint64_t p) { last_position_.store(p, std::memory_order_release); }

  // Change counters for read-side caches: stream_epoch(s) changes after
  // every commit that appended to stream s, before that commit is
  // acknowledged. A cache reads the epoch before it reads what it caches and
  // keeps the entry only while the epoch is unchanged; streams share
  // counters by hash, so a change elsewhere can only cause a spurious miss.
  uint64_t stream_epoch(std::string_view stream) const {
    return epochs_[epoch_slot(stream)].load(std::memory_order_acquire);
  }
  void bump_stream_epoch(std::string_view stream) { epochs_[epoch_slot(stream)].fetch_add(1, std::memory_order_acq_rel); }
  // The counter a stream uses, for a cache that keeps it instead of the
  // stream's name: epoch_at(epoch_slot(s)) == stream_epoch(s).
  static size_t epoch_slot(std::string_view s) { return std::hash<std::string_view>{}(s) & (kEpochSlots - 1); }
  uint64_t epoch_at(size_t slot) const { return epochs_[slot].load(std::memory_order_acquire); }

  Result<std::string> record_at(uint64_t position) const;
  // Calls fn(position, record) for positions in [from, to] in order until it
  // returns false. to = 0 means "to the end".
  Status scan(uint64_t from, uint64_t to,
              const std::function<bool(uint64_t, std::string_view)>& fn) const;
  StreamHead head(std::string_view stream) const;  // version 0 if absent
  // Positions of the stream's events, in seq order.
  Result<std::vector<uint64_t>> stream_positions(std::string_view stream) const;
  Result<Hash256> merkle_node(merkle::NodeId id) const;
  merkle::NodeSource node_source() const;

  std::optional<std::string> get(std::string_view cf, std::string_view key) const;
  Status put_sync(std::string_view cf, std::string_view key, std::string_view value);

  // Checkpoints: the newest, and the one of a given size.
  std::optional<std::pair<uint64_t, std::string>> latest_checkpoint() const;
  std::optional<std::string> checkpoint_at(uint64_t size) const;
  std::vector<std::pair<uint64_t, std::string>> checkpoints(uint64_t from_size = 0) const;

  // Drops and recreates a column family (projection rebuild).
  Status reset_column_family(const std::string& name);
  // Online backup into `dir` via a RocksDB checkpoint (hard links, consistent).
  Status create_checkpoint(const std::string& dir) const;

 private:
  EventStore() = default;
  std::string path_;
  std::unique_ptr<rocksdb::DB> db_;
  std::map<std::string, rocksdb::ColumnFamilyHandle*, std::less<>> cfs_;
  std::atomic<uint64_t> last_position_{0};
  static constexpr size_t kEpochSlots = 1 << 14;
  std::array<std::atomic<uint64_t>, kEpochSlots> epochs_{};
};

// RocksDB status -> Error. Disk-full and I/O errors map to unavailable so the
// API answers 503 and keeps the data.
Error rocks_error(const rocksdb::Status& s, std::string_view what);

}  // namespace certledger::store
