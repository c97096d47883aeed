// The event store: one RocksDB instance with a column family per concern
// (doc/storage_format.md). Nothing outside ledger/store/ touches RocksDB;
// every stored value has a typed encoder and decoder (StreamHead,
// IdempotencyRecord, RelayCursor, ...).
//
// Who writes what: the Sequencer writes the log (events, streams, heads,
// idempotency, claims, merkle, meta's last position and compact range) and
// the projections' families, in its group commits. Beside it, and not part
// of the log, three things are written through named calls here:
// checkpoints (put_checkpoint: the sequencer's own and those a replica
// receives), photo blobs and their owners (put_blob, before the event that
// references them), and the relay's cursor (put_relay_cursor).
// Reads are concurrent and never wait on the writer.
#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/merkle/tree.h"
#include "ledger/util/hash.h"
#include "ledger/util/result.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
class Snapshot;
class Env;
}  // namespace rocksdb

namespace certledger::store {

struct StreamHead {
  uint64_t version = 0;   // last seq of the stream, 0 if the stream is empty
  uint64_t position = 0;  // position of that event
  Hash256 hash{};         // SHA-256 of that signed record
  std::string encode() const;
  static std::optional<StreamHead> decode(std::string_view bytes);
};

// What an Idempotency-Key recorded: the position and stream seq of the
// answer, and the hash of the request it answered.
struct IdempotencyRecord {
  uint64_t position = 0;
  uint64_t seq = 0;
  Hash256 request_hash{};
  std::string encode() const;  // be64(position) be64(seq) hash32: 48 bytes
  static std::optional<IdempotencyRecord> decode(std::string_view bytes);
};

// How far the relay has had each position acknowledged by Kafka.
struct RelayCursor {
  uint64_t events = 0;       // every position up to this one is on the events topic
  uint64_t checkpoints = 0;  // the newest checkpoint size published
};

// A few RocksDB figures for /metrics.
struct StoreStats {
  uint64_t live_data_bytes = 0, memtable_bytes = 0, running_compactions = 0;
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

class EventStore;

// A consistent read view of the store at one moment (a RocksDB snapshot):
// what a reader that must see several keys as of the same write needs
// (proofs against one checkpoint). Holding one keeps the versions it sees
// from compaction: hold it for seconds, not hours.
class StoreSnapshot {
 public:
  ~StoreSnapshot();
  StoreSnapshot(const StoreSnapshot&) = delete;
  StoreSnapshot& operator=(const StoreSnapshot&) = delete;
  std::optional<std::string> get(std::string_view cf, std::string_view key) const;
  // As EventStore::scan_prefix.
  Status scan_prefix(std::string_view cf, std::string_view prefix,
                     const std::function<bool(std::string_view, std::string_view)>& fn) const;

 private:
  friend class EventStore;
  StoreSnapshot(const EventStore& store, const rocksdb::Snapshot* snapshot) : store_(store), snapshot_(snapshot) {}
  const EventStore& store_;
  const rocksdb::Snapshot* snapshot_;
};

class EventStore {
 public:
  static Result<std::unique_ptr<EventStore>> open(const StoreOptions& options);
  ~EventStore();
  EventStore(const EventStore&) = delete;
  EventStore& operator=(const EventStore&) = delete;

  const std::string& path() const { return path_; }
  bool has_family(std::string_view name) const { return cf(name) != nullptr; }

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
  void bump_stream_epoch(std::string_view stream) {
    epochs_[epoch_slot(stream)].fetch_add(1, std::memory_order_acq_rel);
  }
  // The counter a stream uses, for a cache that keeps it instead of the
  // stream's name: epoch_at(epoch_slot(s)) == stream_epoch(s).
  static size_t epoch_slot(std::string_view s) { return std::hash<std::string_view>{}(s) & (kEpochSlots - 1); }
  uint64_t epoch_at(size_t slot) const { return epochs_[slot].load(std::memory_order_acquire); }

  Result<std::string> record_at(uint64_t position) const;
  // Calls fn(position, record) for positions in [from, to] in order until it
  // returns false. to = 0 means "to the end".
  Status scan(uint64_t from, uint64_t to, const std::function<bool(uint64_t, std::string_view)>& fn) const;
  StreamHead head(std::string_view stream) const;  // version 0 if absent
  // Positions of the stream's events, in seq order.
  Result<std::vector<uint64_t>> stream_positions(std::string_view stream) const;
  Result<Hash256> merkle_node(merkle::NodeId id) const;
  // The hashes of `count` consecutive stored nodes of `level` from index
  // `first`, concatenated (a C2SP tlog-tiles hash tile); not_found unless
  // all of them are stored.
  Result<std::string> merkle_nodes(uint8_t level, uint64_t first, uint32_t count) const;
  merkle::NodeSource node_source() const;

  // Point and range reads of any family (the projections read theirs so).
  std::optional<std::string> get(std::string_view cf, std::string_view key) const;
  // The store as it is now, for reads that must agree with each other.
  std::shared_ptr<const StoreSnapshot> snapshot() const;
  // Calls fn(key, value) for the family's keys that start with prefix (all
  // keys if empty), in key order, until fn returns false.
  using Visitor = std::function<bool(std::string_view key, std::string_view value)>;
  Status scan_prefix(std::string_view cf, std::string_view prefix, const Visitor& fn) const;
  // The same for keys in [lower, upper) (upper empty: to the end), reading
  // ahead and bypassing the block cache: for long sequential walks.
  Status scan_range(std::string_view cf, std::string_view lower, std::string_view upper, const Visitor& fn) const;

  std::optional<IdempotencyRecord> idempotency(std::string_view scope, std::string_view key) const;

  // Content-addressed blobs (photos): the bytes under their reference
  // ("sha256:<hex>") and one owner entry per authority that uploaded them.
  // Written synced, before the event that references them.
  Status put_blob(std::string_view ref, std::string_view bytes, std::string_view owner);
  std::optional<std::string> blob(std::string_view ref) const;
  bool blob_owned_by(std::string_view ref, std::string_view owner) const;

  // The key vault's family (ledger/vault.h). vault_put is not synced on its
  // own: the next synced write (the record sealed under the key) makes it
  // durable, as RocksDB syncs the whole WAL up to that write. vault_erase
  // deletes, then flushes every family and compacts the vault's so that no
  // live WAL or SST file of this store holds the deleted values (a backup
  // or checkpoint taken earlier still may: doc/operations.md).
  Status vault_put(std::string_view key, std::string_view value);
  Status vault_erase(const std::vector<std::string>& keys);
  // Removes an owner's claim on a photo, and the photo when no other
  // authority uploaded it, the same way (erasure of a holder).
  Status erase_blob(std::string_view ref, std::string_view owner);

  // Not synced: a lost update only makes the relay send again (consumers
  // drop duplicates by position).
  RelayCursor relay_cursor() const;
  Status put_relay_cursor(const RelayCursor& c);

  StoreStats stats() const;

  // Checkpoints: the newest, and the one of a given size.
  std::optional<std::pair<uint64_t, std::string>> latest_checkpoint() const;
  std::optional<std::string> checkpoint_at(uint64_t size) const;
  std::vector<std::pair<uint64_t, std::string>> checkpoints(uint64_t from_size = 0) const;
  // Synced. A checkpoint is a signed note of the tree at `size`; a newer
  // note of the same size (a later time) replaces the older one.
  Status put_checkpoint(uint64_t size, std::string_view note);
  // Called after each put_checkpoint, on the thread that wrote it, before
  // that thread writes anything else: a listener that takes a snapshot()
  // there sees the store as the checkpoint's writer left it.
  using CheckpointListener = std::function<void(uint64_t size, const std::string& note)>;
  void add_checkpoint_listener(CheckpointListener fn) const;

  // A witness's state (ledger/witness.h), in the meta family: per log
  // origin the latest checkpoint it cosigned (synced), and the evidence of
  // a log that showed it two histories, kept for good.
  std::optional<std::string> witnessed(std::string_view origin) const;
  Status put_witnessed(std::string_view origin, std::string_view note);
  Status add_witness_evidence(std::string_view origin, std::string_view evidence);
  // (origin, evidence) in the order they were found.
  std::vector<std::pair<std::string, std::string>> witness_evidence() const;

  // Drops and recreates a column family (projection rebuild).
  Status reset_column_family(const std::string& name);
  // Online backup into `dir` via a RocksDB checkpoint (hard links, consistent).
  Status create_checkpoint(const std::string& dir) const;

 private:
  // [lower, upper) (upper empty: to the end); bulk reads ahead and leaves
  // the block cache alone.
  Status scan_keys(std::string_view cf, std::string_view lower, std::string_view upper, bool bulk, const Visitor& fn,
                   const rocksdb::Snapshot* snapshot = nullptr) const;
  friend struct Raw;  // ledger/store/raw.h
  friend class StoreSnapshot;
  EventStore() = default;
  rocksdb::DB* db() const { return db_.get(); }
  // nullptr if no such family was opened.
  rocksdb::ColumnFamilyHandle* cf(std::string_view name) const;
  Status erase_for_good(std::string_view family, const std::vector<std::string>& keys);
  Status put_sync(std::string_view cf, std::string_view key, std::string_view value);
  std::string path_;
  std::unique_ptr<rocksdb::DB> db_;
  std::map<std::string, rocksdb::ColumnFamilyHandle*, std::less<>> cfs_;
  std::atomic<uint64_t> last_position_{0};
  mutable std::mutex listeners_mu_;
  mutable std::vector<CheckpointListener> checkpoint_listeners_;
  static constexpr size_t kEpochSlots = 1 << 14;
  std::array<std::atomic<uint64_t>, kEpochSlots> epochs_{};
};

}  // namespace certledger::store
