// The outbox relay: reads the log after its cursor and produces every signed
// record to <prefix>.events (key = stream id, value = the record bytes
// unchanged, headers: position, type, authority, v, kid, origin), the
// latest public status of the certificate to the compacted <prefix>.status,
// and every checkpoint to <prefix>.checkpoints. Idempotent producer
// (enable.idempotence, acks=all). The cursor advances, and is persisted in
// the store's meta family, only over contiguous positions whose delivery
// report succeeded: nothing is lost across restarts, and any duplicate a
// consumer sees carries the same position.
//
// Kafka being down never blocks the ledger: the relay runs on its own thread
// and only reads the store; it catches up when brokers return.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "ledger/key_source.h"
#include "ledger/ledger.h"
#include "ledger/status_source.h"
#include "ledger/store/event_store.h"
#include "ledger/stream/kafka.h"

namespace certledger::stream {

struct RelayOptions {
  KafkaConfig kafka;
  size_t window = 20000;  // records produced but not yet confirmed
  // The status topic's messages (the projections' status feed), produced to
  // <prefix>.status keyed by the event's stream, read in log order beside
  // the events. Null: no status topic.
  std::shared_ptr<const StatusSource> status;
  // The compacted <prefix>.keys topic's messages (holders' data keys for
  // entitled consumers, tombstones), produced before the record they come
  // with; the cursor passes a position only when they are confirmed too.
  // Null: no keys topic.
  std::shared_ptr<KeySource> keys;
  bool reset_cursor = false;  // republish everything (an empty embedded cluster)
  // While no new checkpoint is due, the latest is produced again this often
  // (0: never), so followers can tell an idle primary from a lost one.
  int heartbeat_ms = 10000;
  std::string origin;
  // Whether a checkpoint note may go out yet (e.g. not while witnesses are
  // still being asked to cosign it: the cosigned note replaces it in the
  // store and is what goes out). Unset: at once.
  std::function<bool(uint64_t size, const std::string& note)> checkpoint_ready;
};

struct RelayStats {
  uint64_t cursor = 0;         // last position confirmed in Kafka
  uint64_t last_position = 0;  // last position in the log
  uint64_t lag_events = 0;
  double lag_seconds = 0;  // age of the oldest unconfirmed event
  uint64_t delivered = 0;  // delivery reports received (events topic)
  uint64_t errors = 0;     // failed delivery reports and producer restarts
  uint64_t checkpoint_cursor = 0;
  std::string last_error;
};

class Relay {
 public:
  // REQUIRES: the store outlives the relay.
  static Result<std::unique_ptr<Relay>> start(store::EventStore& store, RelayOptions options);
  ~Relay();
  // Wakes the relay (call from the sequencer's commit listener).
  void notify();
  RelayStats stats() const;
  // Blocks until the cursor reaches `position` (or the timeout passes).
  bool wait_for(uint64_t position, std::chrono::milliseconds timeout) const;
  void stop();

 private:
  Relay(store::EventStore& store, RelayOptions options) : store_(store), options_(std::move(options)) {}
  Status make_producer();
  void run();
  void send_more();
  void send_checkpoints();
  void advance_cursor();  // REQUIRES: mu_ held
  void produce_checkpoint(uint64_t size, const std::string& note);
  void on_delivery(const rd_kafka_message_t* m);
  static void delivery_cb(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque);
  void persist_cursor();

  store::EventStore& store_;
  RelayOptions options_;
  KafkaHandle producer_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  bool woken_ = false;
  // Relay-thread state (stats readers take mu_).
  uint64_t cursor_ = 0, persisted_ = 0, next_ = 1;
  uint64_t cp_cursor_ = 0, cp_inflight_ = 0;
  std::chrono::steady_clock::time_point last_checkpoint_sent_{};  // relay thread only
  std::deque<bool> delivered_ahead_;                              // [i]: position cursor_ + 1 + i confirmed
  std::map<uint64_t, int> keys_inflight_;                         // position -> its keys messages not yet confirmed
  size_t inflight_ = 0;
  bool restart_ = false;
  uint64_t delivered_ = 0, errors_ = 0;
  std::string last_error_;
};

}  // namespace certledger::stream
