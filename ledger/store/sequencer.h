// The single write path. Many threads submit signed records; one writer
// thread takes everything queued (up to max_batch), checks each against the
// stream heads, idempotency keys and unique claims, assigns dense global
// positions, extends the Merkle tree, lets the batch contributors add their
// writes, and hands the group to the committer thread, which writes it as
// ONE RocksDB WriteBatch with sync = true. Submitters are answered only
// after that sync.
//
// The two threads form a pipeline: while group N is being written, the
// writer builds group N+1 on top of it (its reads see N's writes through
// N's GroupBatch), and hands it over once N is durable. So at most one
// group is in flight, groups are written and acknowledged in order, and a
// group is built on exactly the state its predecessors leave. A failed
// write fails its group and the group built on it, leaves memory
// untouched, and the writer then refuses appends (unavailable) until the
// store accepts writes again.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ledger/crypto/keys.h"
#include "ledger/domain/record.h"
#include "ledger/merkle/tree.h"
#include "ledger/store/batch.h"
#include "ledger/store/event_store.h"
#include "ledger/store/write_policy.h"

namespace certledger::store {

// A record to append and the conditions it is appended under.
// REQUIRES: record.hash == SHA-256(record.bytes) (decode_record and the
// ledger's signing compute it on the submitter's thread).
struct AppendRequest {
  domain::Record record;            // position 0: the next one; else (replicas) the one it must get
  std::string idempotency_scope;    // e.g. the authority code
  std::string idempotency_key;      // empty: none
  Hash256 request_hash{};           // what the idempotency key promises
  std::vector<std::string> claims;  // unique keys this event takes
  // Entries of the key vault's family written in the record's own batch (a
  // new holder's wrapped data key and index entry: durable exactly when the
  // first record sealed under it is).
  std::vector<std::pair<std::string, std::string>> vault_writes;
};

struct AppendResult {
  uint64_t position = 0;
  uint64_t seq = 0;
  bool replayed = false;                 // idempotent repeat: nothing was appended, record is empty
  domain::Record record;                 // the appended record, handed back with its position
  std::shared_ptr<const Folded> folded;  // what the contributors' fold left, if anything
};

struct SequencerOptions {
  WritePolicy policy;
  std::string origin;                                 // checkpoint origin line
  std::shared_ptr<const crypto::PrivateKey> log_key;  // Ed25519; no checkpoints if null
  std::function<UnixMillis()> clock;
  // Extension lines of the checkpoint at a tree size (e.g. the state map's
  // root after it), before the "time" line the sequencer adds. Called on
  // the thread that writes the checkpoint, after that size is durable.
  std::function<std::vector<std::string>(uint64_t size)> checkpoint_extensions;
};

struct SequencerStats {
  uint64_t appended = 0;
  uint64_t batches = 0;
  uint64_t rejected = 0;
  uint64_t checkpoints = 0;
  uint64_t largest_batch = 0;
  double build_seconds = 0;  // writer thread: checking and building groups
  double write_seconds = 0;  // committer thread: the synced writes
  bool healthy = true;
};

// The largest signed record a log entry can hold (a tile's entry bundle
// prefixes each with a big-endian uint16 length).
inline constexpr size_t kMaxRecordBytes = 65535;

class Sequencer {
 public:
  // REQUIRES: the store outlives the sequencer; contributors likewise.
  Sequencer(EventStore& store, SequencerOptions options, std::vector<BatchContributor*> contributors);
  ~Sequencer();
  Sequencer(const Sequencer&) = delete;
  Sequencer& operator=(const Sequencer&) = delete;

  // Thread-safe. Blocks until the record is durable or rejected.
  Result<AppendResult> append(AppendRequest request);
  std::future<Result<AppendResult>> submit(AppendRequest request);

  // Called on the committer thread after each durable commit with the new
  // last position, before the group's submitters are answered.
  void on_commit(std::function<void(uint64_t)> fn) {
    std::lock_guard lock(listeners_mu_);
    commit_listeners_.push_back(std::move(fn));
  }
  // Writes a checkpoint now if the tree grew since the last one. Called
  // while groups are being written, the store may already be past the
  // checkpoint's size, and an extension hook that checks (the state map's)
  // leaves its line out; the sequencer's own checkpoints (by count, by
  // time) are made on the committing thread between groups.
  Status checkpoint_now();
  merkle::CompactRange compact_range() const;
  SequencerStats stats() const;
  bool healthy() const;
  void stop();

 private:
  struct Pending {
    AppendRequest request;
    std::promise<Result<AppendResult>> promise;
  };
  struct Group;
  void run();
  void commit_loop();
  // Checks and stages a group on top of `below` (the group in flight, or null).
  std::unique_ptr<Group> build(std::vector<Pending> pending, Group* below);
  Status stage(AppendRequest& r, const std::string& idem, uint64_t pos, BatchWriter& bw, merkle::CompactRange& range,
               std::shared_ptr<const Folded>* folded);
  std::optional<Result<AppendResult>> refusal_or_replay(const AppendRequest& r, const std::string& idem,
                                                        uint64_t last_pos, BatchWriter& bw) const;
  // Ends a group for the contributors, publishes it if committed, and
  // answers its submitters; `why` replaces the successes of a group that
  // was not written.
  void finish(Group& g, bool committed, const std::optional<Error>& why);
  void wait_done();  // for the committer to answer the group in flight
  bool recover();
  Status write_checkpoint_locked(uint64_t size, const Hash256& root);
  void maybe_checkpoint();

  EventStore& store_;
  SequencerOptions options_;
  std::vector<BatchContributor*> contributors_;
  std::mutex listeners_mu_;
  std::vector<std::function<void(uint64_t)>> commit_listeners_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  // Writer -> committer hand-over (under mu_). The writer owns the group;
  // the committer sets done_ when it has answered it.
  std::condition_variable commit_cv_;
  Group* to_commit_ = nullptr;
  bool done_ = false;
  bool committer_stop_ = false;
  std::thread committer_;
  std::string last_recovery_error_;  // writer thread
  // Set by the committer under state_mu_; read by the writer after wait_done.
  bool write_failed_ = false;
  std::string write_error_;

  // Writer-thread state (guarded by state_mu_ for readers of stats/range).
  mutable std::mutex state_mu_;
  merkle::CompactRange range_;
  uint64_t last_checkpoint_size_ = 0;
  UnixMillis last_checkpoint_time_ = 0;
  SequencerStats stats_;
  std::thread writer_;
};

}  // namespace certledger::store
