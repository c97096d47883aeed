// What the sequencer hands to batch contributors (projections, the key
// registry): the record being appended (domain::Record, its position set)
// and a view of the WriteBatch that reads its own uncommitted writes. ledger/ defines this interface;
// projections/ implements it, ledgerd wires the two together.
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ledger/domain/certificate.h"
#include "ledger/domain/record.h"
#include "ledger/util/hash.h"
#include "ledger/util/result.h"

namespace rocksdb {
class ColumnFamilyHandle;
class WriteBatch;
}  // namespace rocksdb

namespace certledger::store {

class EventStore;

// What a contributor's fold of a record leaves for the command that
// appended it (the certificate view after the event), so that the command's
// answer is built from that fold instead of folding or reading again.
// Nothing is left during replays (rebuild, catch-up) or for replicas.
class Folded {
 public:
  virtual ~Folded() = default;
  // The certificate after the event, if this fold has one.
  virtual const domain::CertificateState* certificate() const { return nullptr; }
};

// Staged writes of one column family: key -> last value (nullopt = deleted),
// looked up by string_view.
struct StagedHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};
using StagedMap = std::unordered_map<std::string, std::optional<std::string>, StagedHash, std::equal_to<>>;

// Replay's staging (rebuild, catch-up): the latest value of every key
// written, in memory, so that a key many events write (a counter, a
// certificate's view) reaches RocksDB once, and reads of staged keys never
// touch RocksDB. Families listed as empty (just reset) are not read from
// RocksDB at all until the first flush.
//
// A full stage can be split off and written on another thread while the
// replay goes on staging: the new stage reads through the one being
// written until drop_below() (after that write succeeded).
class MemoryBatch {
 public:
  MemoryBatch(EventStore& store, const std::vector<std::string>& empty_families);
  std::optional<std::string> get(std::string_view cf, std::string_view key) const;
  void put(std::string_view cf, std::string_view key, std::string_view value);
  void del(std::string_view cf, std::string_view key);
  size_t bytes() const { return bytes_; }  // roughly what the staged entries hold
  // Writes everything staged as one atomic WriteBatch (per family in key
  // order) and empties the stage. On failure nothing is written and the
  // stage is kept.
  Status flush(bool sync);
  // Writes the stage like flush() but keeps it (const: a stage above may
  // be reading it meanwhile).
  Status write(bool sync) const;
  // Moves everything staged into a new stage, to be written, that this one
  // reads through. REQUIRES: nothing below already.
  std::unique_ptr<MemoryBatch> split();
  // The stage below is in RocksDB now: read there.
  void drop_below();

 private:
  struct Family {
    std::string name;
    bool db_empty = false;
    StagedMap entries;
  };
  Family& family(std::string_view cf);
  const Family* find_family(std::string_view cf) const;
  EventStore& store_;
  std::vector<Family> families_;
  size_t bytes_ = 0;
  const MemoryBatch* below_ = nullptr;
};

// One sequencer group's writes: the last value each key got, read by the
// group's own later events and, while the group is being written, by the
// next group, which is built on top of it (`below`). seal() turns it into
// the WriteBatch that is committed: one entry per key, in key order per
// family (a counter many events bump is written once, and the memtable
// takes sorted inserts fastest). Only one save point at a time (the
// sequencer's, around one event).
class GroupBatch {
 public:
  explicit GroupBatch(EventStore& store, const GroupBatch* below = nullptr);
  ~GroupBatch();
  GroupBatch(const GroupBatch&) = delete;
  GroupBatch& operator=(const GroupBatch&) = delete;

  enum class Lookup { absent, found, deleted };
  // This group's last write of the key, else the group below's.
  Lookup find(std::string_view cf, std::string_view key, std::string* value) const;
  void put(std::string_view cf, std::string_view key, std::string_view value);
  void del(std::string_view cf, std::string_view key);
  // Once the group below is in RocksDB, reads go straight there.
  void drop_below() { below_ = nullptr; }

  void set_save_point();
  void rollback_to_save_point();
  void pop_save_point();
  // Builds batch() from what was staged; reads keep working.
  void seal();
  rocksdb::WriteBatch& batch() { return *batch_; }

 private:
  struct Family {
    rocksdb::ColumnFamilyHandle* handle;
    StagedMap last;
  };
  Family& family(std::string_view cf);
  const StagedMap* find_family(rocksdb::ColumnFamilyHandle* handle) const;
  void record(std::string_view cf, std::string_view key, std::optional<std::string> value);

  EventStore& store_;
  const GroupBatch* below_;
  std::unique_ptr<rocksdb::WriteBatch> batch_;
  std::deque<Family> families_;  // a deque: undo_ points into it while it grows
  bool saving_ = false;
  // Since the save point: each touched key, its family's map, and what it
  // held before (outer nullopt: no entry).
  struct Undo {
    StagedMap* map;
    std::string key;
    std::optional<std::optional<std::string>> before;
  };
  std::vector<Undo> undo_;
};

// Reads see the batch's own writes first (earlier events of the same group,
// the group being written before it, or everything staged by a replay),
// then the database.
class BatchWriter {
 public:
  BatchWriter(EventStore& store, GroupBatch& batch) : store_(store), group_(&batch) {}
  BatchWriter(EventStore& store, MemoryBatch& batch) : store_(store), memory_(&batch) {}
  std::optional<std::string> get(std::string_view cf, std::string_view key) const;
  void put(std::string_view cf, std::string_view key, std::string_view value);
  void del(std::string_view cf, std::string_view key);
  EventStore& store() { return store_; }

  // Whether the record being applied has a submitter waiting for what its
  // fold leaves (false in replays): build a Folded only then.
  bool wants_folded() const { return folded_ != nullptr; }
  void leave(std::shared_ptr<const Folded> f) {
    if (folded_) *folded_ = std::move(f);
  }
  // The sequencer's, around each record it appends.
  void set_folded_slot(std::shared_ptr<const Folded>* slot) { folded_ = slot; }

 private:
  EventStore& store_;
  GroupBatch* group_ = nullptr;
  MemoryBatch* memory_ = nullptr;
  std::shared_ptr<const Folded>* folded_ = nullptr;
};

class BatchContributor {
 public:
  virtual ~BatchContributor() = default;
  virtual std::string name() const = 0;
  virtual std::vector<std::string> column_families() const = 0;
  // Adds the record's effect. An error rejects that record (nothing of it
  // is written) and is returned to its submitter.
  virtual Status apply(const domain::Record& r, BatchWriter& w) = 0;
  // Group hooks. begin_batch(), apply(), event_rolled_back() and
  // before_commit() run on the writer thread; groups are pipelined, so they
  // may run for group N+1 while group N is still being written. After
  // apply() succeeded for an event, a later contributor may still reject
  // it: event_rolled_back() then undoes this contributor's in-memory
  // staging for that event.
  virtual void begin_batch() {}
  // Called once per group that appends anything, after every apply() and
  // before the write, with the group's last position (e.g. to record how
  // far a projection got).
  virtual void before_commit(BatchWriter& w, uint64_t last_position) {
    (void)w;
    (void)last_position;
  }
  virtual void event_rolled_back() {}
  // Once per group, in group order, before its submitters are answered:
  // committed = durable; false = nothing of it was written (nothing to
  // write, a failed write, or the group before it failed). It may run on
  // the committing thread while a later group's apply() runs.
  virtual void end_batch(bool committed) { (void)committed; }
};

}  // namespace certledger::store
