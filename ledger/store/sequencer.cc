#include "ledger/store/sequencer.h"

#include "ledger/merkle/checkpoint.h"

#include "ledger/store/keys.h"
#include "ledger/util/encoding.h"
#include "ledger/util/thread.h"
#include "ledger/store/raw.h"

namespace certledger::store {

namespace {

Error conflict(std::string m) { return make_error(Errc::conflict, std::move(m)); }

}  // namespace

struct Sequencer::Group {
  std::vector<Pending> pending;
  std::vector<std::optional<Result<AppendResult>>> results;
  std::unique_ptr<GroupBatch> batch;
  std::vector<std::string> streams;  // appended to (their epochs are bumped)
  uint64_t last_position = 0;        // after this group
  merkle::CompactRange range;        // after this group
  size_t appended = 0;
  bool committed = false;  // set by the committer
};

Sequencer::Sequencer(EventStore& store, SequencerOptions options, std::vector<BatchContributor*> contributors)
    : store_(store), options_(std::move(options)), contributors_(std::move(contributors)) {
  if (!options_.clock) options_.clock = system_now_ms;
  if (auto enc = store_.get(kCfMeta, kMetaCompactRange)) {
    auto r = merkle::CompactRange::decode(*enc);
    if (r.ok()) range_ = *r;
  }
  if (range_.size() != store_.last_position()) stats_.healthy = false;  // refuse to write
  last_checkpoint_time_ = options_.clock();
  if (auto cp = store_.latest_checkpoint()) {
    last_checkpoint_size_ = cp->first;
    // Its time, so that one signed long ago is signed again soon.
    if (auto seconds = merkle::note_time(cp->second))
      last_checkpoint_time_ = std::min<int64_t>(last_checkpoint_time_, *seconds * 1000);
  }
  committer_ = std::thread([this] {
    name_this_thread("cl:commit");
    commit_loop();
  });
  writer_ = std::thread([this] {
    name_this_thread("cl:sequencer");
    run();
  });
}

Sequencer::~Sequencer() { stop(); }

void Sequencer::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !writer_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (writer_.joinable()) {
    writer_.join();  // it waits for the group in flight
    {
      std::lock_guard lock(mu_);
      committer_stop_ = true;
    }
    commit_cv_.notify_all();
    if (committer_.joinable()) committer_.join();
    // A clean shutdown seals what was written with a checkpoint.
    if (options_.log_key && healthy()) (void)checkpoint_now();
  }
}

std::future<Result<AppendResult>> Sequencer::submit(AppendRequest request) {
  Pending p{std::move(request), {}};
  auto f = p.promise.get_future();
  // A log entry travels in C2SP tlog-tiles entry bundles behind a 16-bit
  // length: a larger record could not be served, so it is not written.
  if (p.request.record.bytes.size() > kMaxRecordBytes) {
    p.promise.set_value(
        make_error(Errc::invalid_argument, "the signed record is " + std::to_string(p.request.record.bytes.size()) +
                                               " bytes; a log entry is at most " + std::to_string(kMaxRecordBytes) +
                                               " (C2SP tlog-tiles): shorten the fields"));
    return f;
  }
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      p.promise.set_value(make_error(Errc::unavailable, "the ledger is shutting down"));
      return f;
    }
    queue_.push_back(std::move(p));
  }
  cv_.notify_one();
  return f;
}

Result<AppendResult> Sequencer::append(AppendRequest request) { return submit(std::move(request)).get(); }

merkle::CompactRange Sequencer::compact_range() const {
  std::lock_guard lock(state_mu_);
  return range_;
}

SequencerStats Sequencer::stats() const {
  std::lock_guard lock(state_mu_);
  return stats_;
}

bool Sequencer::healthy() const {
  std::lock_guard lock(state_mu_);
  return stats_.healthy;
}

void Sequencer::run() {
  std::unique_ptr<Group> inflight;  // handed to the committer, not yet answered
  for (;;) {
    std::vector<Pending> taken;
    bool inflight_done = false;
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(std::max(10, options_.policy.checkpoint_interval_ms)),
                   [&] { return stopping_ || !queue_.empty() || (inflight && done_); });
      while (!queue_.empty() && taken.size() < options_.policy.max_batch) {
        taken.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      inflight_done = inflight && done_;
      if (taken.empty() && stopping_ && !inflight) break;
    }
    if (taken.empty()) {
      if (inflight && (inflight_done || stopping_)) {
        wait_done();
        inflight.reset();
      }
      // Idle: by time. With a group in flight the committer does it.
      if (!inflight) maybe_checkpoint();
      continue;
    }
    std::unique_ptr<Group> g = build(std::move(taken), inflight.get());
    std::optional<Error> why;
    if (!g) continue;  // answered already (the store refuses writes)
    if (inflight) {
      wait_done();
      if (!inflight->committed)
        why = make_error(Errc::unavailable, "not written: the group before it failed to commit");
      g->batch->drop_below();
      inflight.reset();
    }
    if (g->appended == 0 || why) {
      finish(*g, false, why);
    } else {
      {
        std::lock_guard lock(mu_);
        to_commit_ = g.get();
        done_ = false;
      }
      commit_cv_.notify_one();
      inflight = std::move(g);
    }
  }
  // Drain: anything still queued at shutdown is refused, never half-done.
  std::lock_guard lock(mu_);
  for (auto& p : queue_) p.promise.set_value(make_error(Errc::unavailable, "the ledger is shutting down"));
  queue_.clear();
}

void Sequencer::wait_done() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return done_ && to_commit_ == nullptr; });
}

void Sequencer::finish(Group& g, bool committed, const std::optional<Error>& why) {
  for (auto* c : contributors_) c->end_batch(committed);
  if (committed) {
    for (const auto& stream : g.streams) store_.bump_stream_epoch(stream);
    store_.publish_last_position(g.last_position);
    std::lock_guard lock(listeners_mu_);
    for (auto& fn : commit_listeners_) fn(g.last_position);
  }
  size_t rejected = 0;
  for (size_t i = 0; i < g.pending.size(); ++i) {
    Result<AppendResult>& r = *g.results[i];
    if (why && r.ok()) r = *why;
    if (!r.ok()) ++rejected;
    else if (!r->replayed) r->record = std::move(g.pending[i].request.record);
    g.pending[i].promise.set_value(std::move(r));
  }
  std::lock_guard lock(state_mu_);
  stats_.rejected += rejected;
}

void Sequencer::commit_loop() {
  for (;;) {
    Group* g;
    {
      std::unique_lock lock(mu_);
      commit_cv_.wait(lock, [&] { return committer_stop_ || to_commit_ != nullptr; });
      if (!to_commit_) return;
      g = to_commit_;
    }
    rocksdb::WriteOptions w;
    w.sync = true;
    const auto t_write = std::chrono::steady_clock::now();
    auto st = Raw::db(store_)->Write(w, &g->batch->batch());
    const auto t_done = std::chrono::steady_clock::now();
    {
      std::lock_guard lock(state_mu_);
      stats_.write_seconds += std::chrono::duration<double>(t_done - t_write).count();
      if (!st.ok()) {
        stats_.healthy = false;
        write_failed_ = true;
        write_error_ = st.ToString();
      } else {
        range_ = g->range;
        stats_.appended += g->appended;
        stats_.batches += 1;
        stats_.largest_batch = std::max<uint64_t>(stats_.largest_batch, g->appended);
      }
    }
    g->committed = st.ok();
    // A checkpoint sees the store exactly at this group's end: the next
    // group is written by this thread, after this.
    if (st.ok()) maybe_checkpoint();
    std::optional<Error> failed;
    if (!st.ok()) {
      failed = rocks_error(st, "commit");
      failed->code = Errc::unavailable;
    }
    finish(*g, g->committed, failed);
    {
      std::lock_guard lock(mu_);
      to_commit_ = nullptr;
      done_ = true;
    }
    cv_.notify_all();
  }
}

// What a request is answered without being appended: an error (a reused
// Idempotency-Key, a replica record out of position, a stream version or
// prev hash that does not follow, a unique claim held by another stream),
// or the first answer of an idempotent repeat; nullopt to append it at
// last_pos + 1. Reads through the group's batch.
std::optional<Result<AppendResult>> Sequencer::refusal_or_replay(const AppendRequest& r, const std::string& idem,
                                                                 uint64_t last_pos, BatchWriter& bw) const {
  const domain::Event& e = r.record.event;
  if (!idem.empty())
    if (auto v = bw.get(kCfIdempotency, idem); auto rec = v ? IdempotencyRecord::decode(*v) : std::nullopt) {
      if (rec->request_hash != r.request_hash)
        return make_error(Errc::conflict, Detail::idempotency_key_reused,
                          "Idempotency-Key \"" + r.idempotency_key + "\" was already used for a different request",
                          "Idempotency-Key");
      // Answered after the group in flight (which may hold the original)
      // is durable: groups are answered in order.
      AppendResult replay;
      replay.position = rec->position;
      replay.seq = rec->seq;
      replay.replayed = true;
      return replay;
    }
  if (r.record.position && r.record.position != last_pos + 1)
    return make_error(Errc::corruption, "record for position " + std::to_string(r.record.position) +
                                            " but the next position is " + std::to_string(last_pos + 1));
  StreamHead head;
  if (auto v = bw.get(kCfHeads, e.stream))
    if (auto h = StreamHead::decode(*v)) head = *h;
  if (e.seq != head.version + 1)
    return conflict("stream " + e.stream + " is at version " + std::to_string(head.version) +
                    "; the event expects version " + std::to_string(e.seq - 1));
  if ((head.version == 0 && !e.prev.empty()) || (head.version > 0 && e.prev != hex_encode(hash_view(head.hash))))
    return conflict("stream " + e.stream + ": the event's prev hash is not the stream's last record");
  for (const auto& c : r.claims) {
    std::optional<std::string> owner = bw.get(kCfClaims, c);
    if (owner && *owner != e.stream) {
      Error taken =
          make_error(Errc::already_exists, Detail::claim_taken, "\"" + c + "\" is already taken by " + *owner);
      taken.subject = c;
      return taken;
    }
  }
  return std::nullopt;
}

// Stages one record at `pos`: the record, its stream index and head, its
// idempotency key and claims, the Merkle nodes it completes, and what the
// contributors add. On an error the contributors that had applied it are
// told to undo; the caller rolls the batch back.
Status Sequencer::stage(AppendRequest& r, const std::string& idem, uint64_t pos, BatchWriter& bw,
                        merkle::CompactRange& range, std::shared_ptr<const Folded>* folded) {
  const domain::Event& e = r.record.event;
  r.record.position = pos;
  bw.put(kCfEvents, event_key(pos), r.record.bytes);
  bw.put(kCfStreams, stream_key(e.stream, e.seq), be64(pos));
  bw.put(kCfHeads, e.stream, StreamHead{e.seq, pos, r.record.hash}.encode());
  if (!idem.empty()) bw.put(kCfIdempotency, idem, IdempotencyRecord{pos, e.seq, r.request_hash}.encode());
  for (const auto& c : r.claims) bw.put(kCfClaims, c, e.stream);
  for (const auto& [k, v] : r.vault_writes) bw.put(kCfVault, k, v);
  range.append(merkle::leaf_hash(r.record.bytes),
               [&](merkle::NodeId id, const Hash256& h) { bw.put(kCfMerkle, merkle_key(id), hash_view(h)); });
  bw.set_folded_slot(folded);
  Status contributed;
  size_t applied = 0;
  for (auto* c : contributors_) {
    contributed = c->apply(r.record, bw);
    if (!contributed.ok()) break;
    ++applied;
  }
  bw.set_folded_slot(nullptr);
  if (!contributed.ok())
    for (size_t k = 0; k < applied; ++k) contributors_[k]->event_rolled_back();
  return contributed;
}

std::unique_ptr<Sequencer::Group> Sequencer::build(std::vector<Pending> pending, Group* below) {
  if (!below && !healthy() && !recover()) {
    const Error e = make_error(Errc::unavailable, "the store is not accepting writes: " + last_recovery_error_);
    for (auto& p : pending) p.promise.set_value(e);
    std::lock_guard lock(state_mu_);
    stats_.rejected += pending.size();
    return nullptr;
  }

  const auto t_build = std::chrono::steady_clock::now();
  auto g = std::make_unique<Group>();
  g->pending = std::move(pending);
  g->results.resize(g->pending.size());
  g->batch = std::make_unique<GroupBatch>(store_, below ? below->batch.get() : nullptr);
  BatchWriter bw(store_, *g->batch);
  uint64_t pos = below ? below->last_position : store_.last_position();
  merkle::CompactRange range = below ? below->range : compact_range();
  for (auto* c : contributors_) c->begin_batch();

  for (size_t i = 0; i < g->pending.size(); ++i) {
    AppendRequest& r = g->pending[i].request;
    auto& result = g->results[i];
    const domain::Event& e = r.record.event;
    const std::string idem =
        r.idempotency_key.empty() ? std::string() : idempotency_key(r.idempotency_scope, r.idempotency_key);
    if (auto answer = refusal_or_replay(r, idem, pos, bw)) {
      result = std::move(*answer);
      continue;
    }

    const merkle::CompactRange saved_range = range;
    g->batch->set_save_point();
    std::shared_ptr<const Folded> folded;
    if (Status st = stage(r, idem, ++pos, bw, range, &folded); !st.ok()) {
      g->batch->rollback_to_save_point();
      range = saved_range;
      --pos;
      r.record.position = 0;
      result = st.error();
      continue;
    }
    g->batch->pop_save_point();
    g->streams.push_back(e.stream);
    // An erasure changes its certificates' views (read caches key on them).
    if (e.type == domain::kHolderErased)
      if (auto c = e.data.find("certificates"); c != e.data.end() && c->is_array())
        for (const auto& id : *c)
          if (id.is_string()) g->streams.push_back(id.get<std::string>());
    AppendResult appended;
    appended.position = pos;
    appended.seq = e.seq;
    appended.folded = std::move(folded);
    result = std::move(appended);
    ++g->appended;
  }

  if (g->appended > 0) {
    for (auto* c : contributors_) c->before_commit(bw, pos);
    bw.put(kCfMeta, kMetaLastPosition, be64(pos));
    bw.put(kCfMeta, kMetaCompactRange, range.encode());
  }
  g->batch->seal();
  g->last_position = pos;
  g->range = std::move(range);
  std::lock_guard lock(state_mu_);
  stats_.build_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t_build).count();
  return g;
}

}  // namespace certledger::store
