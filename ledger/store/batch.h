// What the sequencer hands to batch contributors (projections, the key
// registry): the event being appended and a view of the WriteBatch that
// reads its own uncommitted writes. ledger/ defines this interface;
// projections/ implements it, ledgerd wires the two together.
#pragma once

#include <rocksdb/utilities/write_batch_with_index.h>

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ledger/domain/event.h"
#include "ledger/util/hash.h"
#include "ledger/util/result.h"

namespace certledger::store {

class EventStore;

struct SequencedEvent {
  uint64_t position;
  const domain::Event& event;   // parsed payload
  std::string_view record;      // the signed record bytes
  const Hash256& record_hash;   // SHA-256(record)
  std::string_view kid;         // key that signed it
};

// Replay's staging (rebuild, catch-up): the latest value of every key
// written, in memory, so that a key many events write (a counter, a
// certificate's view) reaches RocksDB once, and reads of staged keys never
// touch RocksDB. Families listed as empty (just reset) are not read from
// RocksDB at all until the first flush.
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

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  struct Family {
    std::string name;
    bool db_empty = false;
    std::unordered_map<std::string, std::optional<std::string>, Hash, std::equal_to<>> entries;
  };
  Family& family(std::string_view cf);
  const Family* find_family(std::string_view cf) const;
  EventStore& store_;
  std::vector<Family> families_;
  size_t bytes_ = 0;
};

// Reads see the batch's own writes first (earlier events of the same group,
// or everything staged by a replay), then the database.
class BatchWriter {
 public:
  BatchWriter(EventStore& store, rocksdb::WriteBatchWithIndex& batch) : store_(store), batch_(&batch) {}
  BatchWriter(EventStore& store, MemoryBatch& batch) : store_(store), memory_(&batch) {}
  std::optional<std::string> get(std::string_view cf, std::string_view key) const;
  void put(std::string_view cf, std::string_view key, std::string_view value);
  void del(std::string_view cf, std::string_view key);
  EventStore& store() { return store_; }

 private:
  EventStore& store_;
  rocksdb::WriteBatchWithIndex* batch_ = nullptr;
  MemoryBatch* memory_ = nullptr;
};

class BatchContributor {
 public:
  virtual ~BatchContributor() = default;
  virtual std::string name() const = 0;
  virtual std::vector<std::string> column_families() const = 0;
  // Adds the event's effect. An error rejects that event (nothing of it is
  // written) and is returned to its submitter.
  virtual Status apply(const SequencedEvent& e, BatchWriter& w) = 0;
  // Group hooks, all on the writer thread. After apply() succeeded for an
  // event, a later contributor may still reject it: event_rolled_back()
  // then undoes this contributor's in-memory staging for that event.
  virtual void begin_batch() {}
  // Called once per group, after every apply() and before the write, with
  // the group's last position (e.g. to record how far a projection got).
  virtual void before_commit(BatchWriter& w, uint64_t last_position) {
    (void)w;
    (void)last_position;
  }
  virtual void event_rolled_back() {}
  virtual void end_batch(bool committed) { (void)committed; }
};

}  // namespace certledger::store
