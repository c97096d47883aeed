#include "ledger/stream/follower.h"

#include <spdlog/spdlog.h>

#include "ledger/merkle/checkpoint.h"
#include "ledger/store/keys.h"
#include "ledger/util/encoding.h"
#include "ledger/util/thread.h"

namespace certledger::stream {

namespace {

std::optional<std::string> header(const rd_kafka_message_t* m, const char* name) {
  rd_kafka_headers_t* h = nullptr;
  if (rd_kafka_message_headers(m, &h) != RD_KAFKA_RESP_ERR_NO_ERROR) return std::nullopt;
  const void* v = nullptr;
  size_t n = 0;
  if (rd_kafka_header_get_last(h, name, &v, &n) != RD_KAFKA_RESP_ERR_NO_ERROR) return std::nullopt;
  return std::string(static_cast<const char*>(v), n);
}

}  // namespace

Result<uint64_t> read_event_position(const std::optional<std::string>& h) {
  auto pos = h ? parse_decimal(*h) : std::nullopt;
  if (!pos || *pos == 0) return make_error(Errc::corruption, "events message without a valid position header");
  return *pos;
}

Result<merkle::Checkpoint> read_checkpoint_message(std::string_view value, std::string_view origin,
                                                   const crypto::PublicKey& log_key) {
  return merkle::open_checkpoint(value, origin, log_key);
}

Follower::Follower(Ledger& ledger, FollowerOptions options)
    : ledger_(ledger), options_(std::move(options)), auditor_(options_.log_key) {}

Result<std::unique_ptr<Follower>> Follower::start(Ledger& ledger, FollowerOptions options) {
  std::unique_ptr<Follower> f(new Follower(ledger, std::move(options)));
  // Re-verify what we already hold, so the auditor knows the key history.
  Status st;
  CL_TRY(ledger.store().scan(1, 0, [&](uint64_t pos, std::string_view rec) {
    st = f->auditor_.add_record(pos, rec);
    return st.ok();
  }));
  if (!st.ok()) return make_error(Errc::corruption, "local replica store fails verification: " + st.error().message);
  f->stats_.applied = ledger.store().last_position();
  if (ledger.store().last_position() > 0 && ledger.origin() != f->options_.origin)
    return make_error(Errc::invalid_argument,
                      "this replica follows " + ledger.origin() + ", not " + f->options_.origin);

  CL_ASSIGN(rd_kafka_conf_t * conf,
            make_conf(f->options_.kafka, {{"group.id", f->options_.group},
                                          {"enable.auto.commit", "false"},
                                          {"auto.offset.reset", "earliest"},
                                          // Serve fresh records within ms, not the 500 ms default.
                                          {"fetch.wait.max.ms", "10"},
                                          {"log_level", "4"}}));
  char err[512];
  f->consumer_.reset(rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err));
  if (!f->consumer_) return make_error(Errc::unavailable, std::string("Kafka consumer: ") + err);
  rd_kafka_poll_set_consumer(f->consumer_.get());
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(3);
  rd_kafka_topic_partition_list_add(topics, f->options_.kafka.events_topic().c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_topic_partition_list_add(topics, f->options_.kafka.checkpoints_topic().c_str(), RD_KAFKA_PARTITION_UA);
  if (f->options_.on_key)
    rd_kafka_topic_partition_list_add(topics, f->options_.kafka.keys_topic().c_str(), RD_KAFKA_PARTITION_UA);
  auto e = rd_kafka_subscribe(f->consumer_.get(), topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (e) return make_error(Errc::unavailable, std::string("Kafka subscribe: ") + rd_kafka_err2str(e));
  f->thread_ = std::thread([p = f.get()] {
    name_this_thread("cl:replica");
    p->run();
  });
  return f;
}

Follower::~Follower() { stop(); }

void Follower::halt(std::string why) {
  spdlog::critical("replica HALTED, nothing more is applied: {}", why);
  stats_.halted = true;
  halted_.store(true, std::memory_order_release);
  stats_.error = std::move(why);
}

void Follower::on_event(const rd_kafka_message_t* m) {
  auto pos = read_event_position(header(m, "position"));
  if (!pos.ok())
    return halt(pos.error().message + " (partition " + std::to_string(m->partition) + " offset " +
                std::to_string(m->offset) + ")");
  std::string record(static_cast<const char*>(m->payload), m->len);
  if (*pos <= stats_.applied) {
    // A duplicate: it must be exactly what we hold.
    auto held = ledger_.store().record_at(*pos);
    if (!held.ok() || *held != record)
      return halt("position " + std::to_string(*pos) + " arrived with different bytes");
    ++stats_.duplicates;
    commit_[m->partition] = m->offset + 1;
    return;
  }
  auto [it, fresh] = pending_.emplace(*pos, Pending{record, m->partition, m->offset});
  if (!fresh) {
    if (it->second.record != record)
      return halt("position " + std::to_string(*pos) + " arrived twice with different bytes");
    ++stats_.duplicates;
  }
}

// Verifies the records that are next in position order and hands them to
// the sequencer together, then waits for them: one group commit (one sync)
// for everything a poll round brought, not one per record.
void Follower::apply_ready() {
  struct Submitted {
    uint64_t position;
    int32_t partition;
    int64_t offset;
    std::future<Result<store::AppendResult>> done;
  };
  constexpr size_t kMaxInFlight = 4096;
  std::string failure;
  while (!stats_.halted && failure.empty()) {
    std::vector<Submitted> submitted;
    // A round ends at the next checkpoint's size, so the store is exactly
    // there when the checkpoint is stored (proofs are made against that
    // state: projections::StatementProver).
    auto boundary = pending_checkpoints_.upper_bound(stats_.applied);
    const uint64_t last = boundary == pending_checkpoints_.end() ? UINT64_MAX : boundary->first;
    // The records ready now: in a catch-up, many; parsed and their
    // signatures verified on every core first (the auditor still decides
    // each key in order). A few at a time are not worth the threads.
    std::vector<decltype(pending_)::iterator> ready;  // consecutive positions from applied + 1
    for (uint64_t next = stats_.applied + 1; ready.size() < kMaxInFlight && next <= last; ++next) {
      auto it = pending_.find(next);
      if (it == pending_.end()) break;
      ready.push_back(it);
    }
    std::vector<PreparedRecord> prepared;
    if (ready.size() >= 64) {
      std::vector<std::string_view> records;
      for (auto it : ready) records.push_back(it->second.record);
      prepared = auditor_.prepare_batch(records);
    }
    for (size_t i = 0; i < ready.size(); ++i) {
      const auto it = ready[i];
      const uint64_t next = it->first;
      domain::Record accepted;  // the auditor's parse, not a second one
      auto st = auditor_.add_record(next, it->second.record, &accepted, prepared.empty() ? nullptr : &prepared[i]);
      if (!st.ok()) {
        failure = "verification failed: " + st.error().message;
        break;
      }
      accepted.bytes = std::move(it->second.record);
      submitted.push_back(
          {next, it->second.partition, it->second.offset, ledger_.submit_verified(std::move(accepted))});
      pending_.erase(it);
    }
    if (submitted.empty()) break;
    // Positions are consecutive from applied + 1: everything up to the
    // first append that failed is applied, in order (and an append failure
    // comes before any verification failure found further on).
    bool refused = false;
    for (auto& s : submitted) {
      auto r = s.done.get();  // every one is waited for
      if (refused) continue;
      if (!r.ok()) {
        failure = "cannot apply position " + std::to_string(s.position) + ": " + r.error().message;
        refused = true;
        continue;
      }
      commit_[s.partition] = s.offset + 1;
      stats_.applied = s.position;
    }
    if (!refused && stats_.applied == last) check_checkpoints();
  }
  if (!failure.empty()) halt(failure);
  stats_.buffered = pending_.size();
  cv_.notify_all();
}

void Follower::on_checkpoint(const rd_kafka_message_t* m) {
  std::string note(static_cast<const char*>(m->payload), m->len);
  auto c = read_checkpoint_message(note, options_.origin, options_.log_key);
  if (!c.ok()) return halt("checkpoint rejected: " + c.error().message);
  bool witnessed = true;
  if (options_.quorum) {
    auto verdict = options_.quorum->check(note);
    if (!verdict.ok()) spdlog::warn("replica: checkpoint {}: {}", c->size, verdict.error().message);
    witnessed = verdict.ok() && verdict->met;
  }
  // A republished checkpoint (the primary's heartbeat) is checked again:
  // its arrival is what says the primary still stands behind this size. A
  // note that meets the quorum is not replaced by one that does not.
  auto& slot = pending_checkpoints_[c->size];
  if (witnessed || slot.note.empty() || !slot.witnessed)
    slot = {std::move(note), c->root, std::chrono::steady_clock::now(), witnessed};
  stats_.newest_checkpoint = std::max(stats_.newest_checkpoint, c->size);
}

namespace {

// Whether `note` should replace `stored` (same size): none stored, a later
// time, or the same time with more signatures (witnesses' cosignatures
// added after the log signed it).
bool newer_note(const std::string& note, const std::optional<std::string>& stored) {
  if (!stored) return true;
  if (*stored == note) return false;
  const uint64_t a = merkle::note_time(note).value_or(0), b = merkle::note_time(*stored).value_or(0);
  return a > b || (a == b && note.size() > stored->size() && note.starts_with(*stored));
}

}  // namespace

// What this replica's projections say at `size` (the state map's root)
// against what the primary's checkpoint says: a line of the same name
// that differs means the two folded the same records differently. Only
// when the store is at that size (else there is nothing to compare).
std::optional<std::string> Follower::differing_extension(uint64_t size, std::string_view note) const {
  const auto& ext = ledger_.options().checkpoint_extensions;
  if (!ext) return std::nullopt;
  auto c = merkle::parse_checkpoint_body(note);
  if (!c.ok()) return std::nullopt;  // read_checkpoint_message parsed it already
  for (const auto& mine : ext(ledger_.store(), size)) {
    const std::string name = mine.substr(0, mine.find(' '));
    auto theirs = merkle::checkpoint_extension(*c, name);
    if (theirs && name + " " + std::string(*theirs) != mine)
      return "checkpoint of size " + std::to_string(size) + ": its " + name +
             " line is not what this replica computed from the same records";
  }
  return std::nullopt;
}

void Follower::check_checkpoints() {
  while (!stats_.halted && !pending_checkpoints_.empty() && pending_checkpoints_.begin()->first <= stats_.applied) {
    auto node = pending_checkpoints_.extract(pending_checkpoints_.begin());
    const uint64_t size = node.key();
    const PendingCheckpoint& p = node.mapped();
    auto root = merkle::subtree_root(0, size, ledger_.store().node_source());
    if (!root.ok() || *root != p.root)
      return halt("checkpoint of size " + std::to_string(size) + " does not match the records received");
    if (auto why = differing_extension(size, p.note)) return halt(*why);
    if (!p.witnessed) {
      ++stats_.below_quorum;
      spdlog::warn("replica: checkpoint {} of {} matches the records but is {}; not stored", size, options_.origin,
                   "below the witness quorum (" + options_.quorum->describe() + ")");
      continue;
    }
    // A newer note of the same size (the primary signs its size again
    // with a new time while idle) replaces the one stored.
    if (newer_note(p.note, ledger_.store().checkpoint_at(size))) (void)ledger_.store().put_checkpoint(size, p.note);
    ++stats_.checkpoints;
    if (!stats_.caught_up_at || p.arrived > *stats_.caught_up_at) {
      stats_.caught_up_at = p.arrived;
      caught_up_ns_.store(std::chrono::duration_cast<std::chrono::nanoseconds>(p.arrived.time_since_epoch()).count(),
                          std::memory_order_release);
    }
  }
}

std::optional<std::string> Follower::stale_for(std::chrono::milliseconds bound) const {
  // Atomics, not mu_: the follower holds mu_ while a group commits, and
  // public reads must not wait for that.
  if (halted_.load(std::memory_order_acquire))
    return std::string("the replica halted on a record or checkpoint it could not verify");
  const int64_t at = caught_up_ns_.load(std::memory_order_acquire);
  if (at == 0) return std::string("no checkpoint of the primary confirmed since this replica started");
  const auto age = std::chrono::steady_clock::now().time_since_epoch() - std::chrono::nanoseconds(at);
  if (age > bound)
    return "the newest checkpoint of the primary this replica has caught up with arrived " +
           std::to_string(std::chrono::duration_cast<std::chrono::seconds>(age).count()) + " s ago";
  return std::nullopt;
}

// Everything a message can throw (allocation, a library's exception) halts
// the follower with the reason; the process goes on serving (as stale).
void Follower::on_message(const rd_kafka_message_t* m) {
  try {
    const std::string_view topic = rd_kafka_topic_name(m->rkt);
    if (topic == options_.kafka.events_topic()) on_event(m);
    else if (topic == options_.kafka.checkpoints_topic()) on_checkpoint(m);
    else if (topic == options_.kafka.keys_topic() && options_.on_key) on_key(m);
  } catch (const std::exception& e) {
    halt(std::string("error while handling a message: ") + e.what());
  }
}

void Follower::on_key(const rd_kafka_message_t* m) {
  if (!m->key || m->key_len == 0) return;
  const std::string_view holder(static_cast<const char*>(m->key), m->key_len);
  if (!m->payload) options_.on_key(holder, std::nullopt);
  else options_.on_key(holder, std::string_view(static_cast<const char*>(m->payload), m->len));
}

void Follower::run() {
  auto last_commit = std::chrono::steady_clock::now();
  while (!stopping_) {
    // Wait for a message, then take whatever else is already there (up to
    // a bound) before applying: records that arrive together are committed
    // together.
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer_.get(), 100);
    if (!m) {
      std::lock_guard lock(mu_);
      watch_gap();
      continue;
    }
    {
      std::lock_guard lock(mu_);
      for (int taken = 0; m; ++taken) {
        if (!m->err && !stats_.halted) {
          on_message(m);
        } else if (m->err && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
          spdlog::warn("replica consumer: {}", rd_kafka_message_errstr(m));
        }
        rd_kafka_message_destroy(m);
        m = taken < 4096 ? rd_kafka_consumer_poll(consumer_.get(), 0) : nullptr;
      }
      if (!stats_.halted) {
        try {
          apply_ready();
          check_checkpoints();
        } catch (const std::exception& e) {
          halt(std::string("error while applying: ") + e.what());
        }
        watch_gap();
      }
    }
    auto now = std::chrono::steady_clock::now();
    if (now - last_commit > std::chrono::seconds(1)) {
      std::lock_guard lock(mu_);
      if (!commit_.empty()) {
        rd_kafka_topic_partition_list_t* offsets = rd_kafka_topic_partition_list_new(static_cast<int>(commit_.size()));
        for (auto [p, off] : commit_)
          rd_kafka_topic_partition_list_add(offsets, options_.kafka.events_topic().c_str(), p)->offset = off;
        rd_kafka_commit(consumer_.get(), offsets, 1);
        rd_kafka_topic_partition_list_destroy(offsets);
      }
      last_commit = now;
    }
  }
  rd_kafka_consumer_close(consumer_.get());
}

// Later positions waiting for one that does not come is what a topic whose
// retention dropped old records looks like (librdkafka's embedded mock
// cluster keeps ~5 MB per partition): say so loudly instead of waiting in
// silence. Nothing is applied past the gap either way.
void Follower::watch_gap() {
  const bool gap = !pending_.empty() && pending_.begin()->first > stats_.applied + 1;
  if (!gap) {
    gap_since_.reset();
    if (!stats_.halted) stats_.error.clear();
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  if (!gap_since_) gap_since_ = now;
  if (now - *gap_since_ > std::chrono::seconds(10) && stats_.error.empty()) {
    stats_.error = "position " + std::to_string(stats_.applied + 1) + " has not arrived while " +
                   std::to_string(pending_.size()) + " later records wait (from position " +
                   std::to_string(pending_.begin()->first) +
                   "); the topic may no longer hold it (retention) — seed this replica from a backup or a "
                   "cluster that keeps the whole log";
    spdlog::error("replica stalled: {}", stats_.error);
  }
}

FollowerStats Follower::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

bool Follower::wait_for(uint64_t position, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return stats_.applied >= position || stats_.halted; }) &&
         stats_.applied >= position;
}

void Follower::stop() {
  if (stopping_.exchange(true)) return;
  if (thread_.joinable()) thread_.join();
}

}  // namespace certledger::stream
