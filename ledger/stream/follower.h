// Replica mode: a downstream agency's verified copy. Consumes a primary's
// <prefix>.events and <prefix>.checkpoints (consumer group, committed
// offsets), re-assembles the log in position order, and applies a record
// only after the Auditor has checked it: signature against the key valid at
// that position (key history from the log itself, anchored by the trusted
// log key), per-stream chain, dense positions. Each checkpoint must carry
// the trusted log key's signature and match the root the replica computed.
// A record or checkpoint that fails verification halts the follower with a
// loud error: nothing unverified is ever applied or served. Duplicates (same
// position) are dropped after a byte-for-byte comparison. Nothing read from
// Kafka is interpreted before its signature is checked, numbers in headers
// are bounded, and an exception while handling a message halts the follower
// (it never takes the process down).
//
// Freshness: the follower notes when each checkpoint arrived. Its data is
// as new as the newest checkpoint whose records it has all applied; the
// primary republishes its latest checkpoint while idle (RelayOptions::
// heartbeat_ms), so a replica that stops hearing from its primary, or
// falls behind it, sees that age grow (stale_for).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "ledger/audit.h"
#include "ledger/ledger.h"
#include "ledger/merkle/policy.h"
#include "ledger/stream/kafka.h"

namespace certledger::stream {

// How the follower reads a message before anything else, without Kafka (the
// fuzz harness calls these): an events message's position header, bounded;
// a checkpoints message's note, opened with the trusted key before any of
// it is read. A record is then checked by the Auditor before it is applied.
Result<uint64_t> read_event_position(const std::optional<std::string>& position_header);
Result<merkle::Checkpoint> read_checkpoint_message(std::string_view value, std::string_view origin,
                                                   const crypto::PublicKey& log_key);

struct FollowerOptions {
  KafkaConfig kafka;
  std::string group = "certledger-replica";
  std::string origin;         // the primary's origin (from the trust file)
  crypto::PublicKey log_key;  // the primary's trusted log key
  // The witnesses and quorum a checkpoint must carry (the trust file's),
  // if any. A checkpoint below it is still checked against the records
  // (a fork halts as ever) but not stored: no proof is made against it and
  // it does not count as the primary's word for freshness.
  std::optional<merkle::Policy> quorum;
  // An entitled replica's receiver of the <prefix>.keys topic: each message
  // (holder reference, value; nullopt for a tombstone). Unset: the topic is
  // not read. The topic is read from its start at every start (it is
  // compacted: the current key or tombstone of every holder).
  std::function<void(std::string_view holder, std::optional<std::string_view> value)> on_key;
};

struct FollowerStats {
  uint64_t applied = 0;   // last applied position
  uint64_t buffered = 0;  // records received ahead of a gap
  uint64_t duplicates = 0;
  uint64_t checkpoints = 0;        // verified checkpoints
  uint64_t newest_checkpoint = 0;  // size of the newest verified checkpoint received
  uint64_t below_quorum = 0;       // checkpoints that matched the records but lacked the witness quorum
  bool halted = false;
  std::string error;  // why it halted, or why it is stalled (a missing position)
  // When the newest checkpoint whose records are all applied arrived; empty
  // before the first since start.
  std::optional<std::chrono::steady_clock::time_point> caught_up_at;
};

class Follower {
 public:
  // Replays and re-verifies the local store first, then starts consuming.
  static Result<std::unique_ptr<Follower>> start(Ledger& ledger, FollowerOptions options);
  ~Follower();
  FollowerStats stats() const;
  // Why this replica's data cannot be presented as live now: halted, no
  // checkpoint caught up with since start, or the newest one caught up with
  // arrived longer than `bound` ago. nullopt when it is current.
  std::optional<std::string> stale_for(std::chrono::milliseconds bound) const;
  bool wait_for(uint64_t position, std::chrono::milliseconds timeout) const;
  void stop();

 private:
  Follower(Ledger& ledger, FollowerOptions options);
  void run();
  void on_event(const rd_kafka_message_t* m);
  void on_checkpoint(const rd_kafka_message_t* m);
  void on_key(const rd_kafka_message_t* m);
  void on_message(const rd_kafka_message_t* m);
  void apply_ready();
  std::optional<std::string> differing_extension(uint64_t size, std::string_view note) const;
  void check_checkpoints();
  void halt(std::string why);

  Ledger& ledger_;
  FollowerOptions options_;
  Auditor auditor_;
  KafkaHandle consumer_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  struct Pending {
    std::string record;
    int32_t partition;
    int64_t offset;
  };
  std::map<uint64_t, Pending> pending_;  // position -> record not yet applied
  struct PendingCheckpoint {             // verified on arrival
    std::string note;
    Hash256 root;
    std::chrono::steady_clock::time_point arrived;
    bool witnessed = true;  // meets the quorum (or none is required)
  };
  std::map<uint64_t, PendingCheckpoint> pending_checkpoints_;  // size -> note
  std::map<int32_t, int64_t> commit_;                          // events partition -> next offset to commit
  FollowerStats stats_;
  std::atomic<bool> halted_{false};       // stats_.halted, readable without mu_
  std::atomic<int64_t> caught_up_ns_{0};  // stats_.caught_up_at (steady clock), 0: none
  // Since when the next position has been missing while later ones wait.
  std::optional<std::chrono::steady_clock::time_point> gap_since_;
  void watch_gap();
};

}  // namespace certledger::stream
