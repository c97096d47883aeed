#include "ledger/stream/relay.h"

#include <spdlog/spdlog.h>

#include "ledger/store/keys.h"
#include "ledger/util/encoding.h"
#include "ledger/util/thread.h"

namespace certledger::stream {

namespace {

// Delivery-report opaque: the position, with the top bits saying which topic.
constexpr uint64_t kTopicEvents = 0, kTopicStatus = 1ull << 62, kTopicCheckpoint = 2ull << 62, kTopicKeys = 3ull << 62;
constexpr uint64_t kTopicMask = 3ull << 62;

}  // namespace

Result<std::unique_ptr<Relay>> Relay::start(store::EventStore& store, RelayOptions options) {
  std::unique_ptr<Relay> r(new Relay(store, std::move(options)));
  if (!r->options_.reset_cursor) {
    const store::RelayCursor c = store.relay_cursor();
    r->cursor_ = c.events;
    r->cp_cursor_ = c.checkpoints;
  }
  r->persisted_ = r->cursor_;
  r->next_ = r->cursor_ + 1;
  CL_TRY(r->make_producer());
  r->thread_ = std::thread([p = r.get()] {
    name_this_thread("cl:relay");
    p->run();
  });
  return r;
}

Relay::~Relay() { stop(); }

Status Relay::make_producer() {
  CL_ASSIGN(rd_kafka_conf_t * conf,
            make_conf(options_.kafka, {{"enable.idempotence", "true"},
                                       {"acks", "all"},
                                       {"message.timeout.ms", "0"},  // never give up: Kafka may be down for long
                                       {"linger.ms", "5"},
                                       {"queue.buffering.max.messages", std::to_string(options_.window * 3)},
                                       {"compression.type", "lz4"},
                                       {"log_level", "4"}}));
  rd_kafka_conf_set_opaque(conf, this);
  rd_kafka_conf_set_dr_msg_cb(conf, &Relay::delivery_cb);
  char err[512];
  producer_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err));
  if (!producer_) return make_error(Errc::unavailable, std::string("Kafka producer: ") + err);
  return {};
}

void Relay::delivery_cb(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  static_cast<Relay*>(opaque)->on_delivery(m);
}

void Relay::on_delivery(const rd_kafka_message_t* m) {
  const uint64_t tag = reinterpret_cast<uint64_t>(m->_private);
  const uint64_t kind = tag & kTopicMask, pos = tag & ~kTopicMask;
  std::lock_guard lock(mu_);
  if (m->err) {
    ++errors_;
    last_error_ = rd_kafka_err2str(m->err);
    restart_ = true;  // resend from the cursor with a fresh producer
  }
  if (kind == kTopicEvents) {
    --inflight_;
    if (m->err) return;
    ++delivered_;
    if (pos <= cursor_) return;  // a duplicate report after a restart
    // delivered_ahead_[i] says whether cursor_ + 1 + i is confirmed.
    const uint64_t i = pos - cursor_ - 1;
    if (i >= delivered_ahead_.size()) delivered_ahead_.resize(i + 1, false);
    delivered_ahead_[i] = true;
    advance_cursor();
  } else if (kind == kTopicKeys) {
    auto it = keys_inflight_.find(pos);
    if (it == keys_inflight_.end() || m->err) return;  // an error restarts from the cursor, before pos
    if (--it->second == 0) keys_inflight_.erase(it);
    advance_cursor();
  } else if (kind == kTopicCheckpoint) {
    cp_inflight_ = 0;
    if (!m->err && pos > cp_cursor_) cp_cursor_ = pos;
  }
}

void Relay::notify() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void Relay::persist_cursor() {
  uint64_t c, cp;
  {
    std::lock_guard lock(mu_);
    c = cursor_;
    cp = cp_cursor_;
  }
  if (c == persisted_) return;
  if (store_.put_relay_cursor({c, cp}).ok()) persisted_ = c;
}

// Over every position whose record and keys messages are all confirmed.
void Relay::advance_cursor() {
  const uint64_t before = cursor_;
  while (!delivered_ahead_.empty() && delivered_ahead_.front() && !keys_inflight_.count(cursor_ + 1)) {
    delivered_ahead_.pop_front();
    ++cursor_;
  }
  if (cursor_ != before) cv_.notify_all();
}

void Relay::send_more() {
  const uint64_t last = store_.last_position();
  size_t room;
  uint64_t from;
  {
    std::lock_guard lock(mu_);
    if (next_ > last || inflight_ >= options_.window) return;
    room = options_.window - inflight_;
    from = next_;
  }
  const uint64_t to = std::min<uint64_t>(last, from + room - 1);
  // The status messages of the positions about to be sent, read after
  // `last` was durable.
  std::unique_ptr<StatusSource::Stretch> statuses = options_.status ? options_.status->read(from, to) : nullptr;
  (void)store_.scan(from, to, [&](uint64_t pos, std::string_view record) {
    auto se = domain::decode_envelope(pos, record);
    if (!se.ok()) {
      std::lock_guard lock(mu_);
      last_error_ = se.error().message;
      ++errors_;
      return false;
    }
    // A holder's key goes out before the records sealed under it.
    if (options_.keys) {
      auto keys = options_.keys->messages(record, *se);
      if (!keys.empty()) {
        {
          std::lock_guard lock(mu_);
          keys_inflight_[pos] = static_cast<int>(keys.size());
        }
        for (const auto& k : keys) {
          const bool tombstone = !k.value;
          auto err = rd_kafka_producev(producer_.get(), RD_KAFKA_V_TOPIC(options_.kafka.keys_topic().c_str()),
                                       RD_KAFKA_V_KEY(k.key.data(), k.key.size()),
                                       RD_KAFKA_V_VALUE(tombstone ? nullptr : const_cast<char*>(k.value->data()),
                                                        tombstone ? 0 : k.value->size()),
                                       RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                       RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(pos | kTopicKeys)), RD_KAFKA_V_END);
          if (err) {
            std::lock_guard lock(mu_);
            last_error_ = std::string("keys topic: ") + rd_kafka_err2str(err);
            ++errors_;
            restart_ = true;  // resend from the cursor, which has not passed pos
            return false;
          }
        }
      }
    }
    const std::string position = std::to_string(pos), v = std::to_string(se->event.v);
    rd_kafka_headers_t* h = rd_kafka_headers_new(6);
    rd_kafka_header_add(h, "position", -1, position.data(), static_cast<ssize_t>(position.size()));
    rd_kafka_header_add(h, "type", -1, se->event.type.data(), static_cast<ssize_t>(se->event.type.size()));
    rd_kafka_header_add(h, "authority", -1, se->event.authority.data(),
                        static_cast<ssize_t>(se->event.authority.size()));
    rd_kafka_header_add(h, "v", -1, v.data(), static_cast<ssize_t>(v.size()));
    rd_kafka_header_add(h, "kid", -1, se->kid.data(), static_cast<ssize_t>(se->kid.size()));
    rd_kafka_header_add(h, "origin", -1, options_.origin.data(), static_cast<ssize_t>(options_.origin.size()));
    auto err = rd_kafka_producev(producer_.get(), RD_KAFKA_V_TOPIC(options_.kafka.events_topic().c_str()),
                                 RD_KAFKA_V_KEY(se->event.stream.data(), se->event.stream.size()),
                                 RD_KAFKA_V_VALUE(const_cast<char*>(record.data()), record.size()),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(h),
                                 RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(pos | kTopicEvents)), RD_KAFKA_V_END);
    if (err) {
      rd_kafka_headers_destroy(h);
      return false;  // queue full: poll and come back
    }
    {
      std::lock_guard lock(mu_);
      ++inflight_;
      next_ = pos + 1;
    }
    const std::string_view status = statuses ? statuses->message(*se) : std::string_view();
    if (!status.empty())
      rd_kafka_producev(producer_.get(), RD_KAFKA_V_TOPIC(options_.kafka.status_topic().c_str()),
                        RD_KAFKA_V_KEY(se->event.stream.data(), se->event.stream.size()),
                        RD_KAFKA_V_VALUE(const_cast<char*>(status.data()), status.size()),
                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                        RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(pos | kTopicStatus)), RD_KAFKA_V_END);
    return true;
  });
}

void Relay::send_checkpoints() {
  uint64_t cursor, cp_cursor;
  {
    std::lock_guard lock(mu_);
    if (cp_inflight_) return;
    cursor = cursor_;
    cp_cursor = cp_cursor_;
  }
  // A checkpoint goes out after the records it covers are confirmed.
  const auto& ready = options_.checkpoint_ready;
  for (auto& [size, note] : store_.checkpoints(cp_cursor + 1)) {
    if (size > cursor || (ready && !ready(size, note))) break;
    produce_checkpoint(size, note);
    return;  // one at a time, in order
  }
  // Nothing new: the latest again now and then, so a follower can tell an
  // idle primary from one it has lost (doc/kafka_topics.md).
  const auto now = std::chrono::steady_clock::now();
  if (options_.heartbeat_ms > 0 && cp_cursor > 0 &&
      now - last_checkpoint_sent_ >= std::chrono::milliseconds(options_.heartbeat_ms))
    if (auto note = store_.checkpoint_at(cp_cursor); note && (!ready || ready(cp_cursor, *note)))
      produce_checkpoint(cp_cursor, *note);
}

void Relay::produce_checkpoint(uint64_t size, const std::string& note) {
  const std::string s = std::to_string(size);
  rd_kafka_headers_t* h = rd_kafka_headers_new(2);
  rd_kafka_header_add(h, "tree_size", -1, s.data(), static_cast<ssize_t>(s.size()));
  rd_kafka_header_add(h, "origin", -1, options_.origin.data(), static_cast<ssize_t>(options_.origin.size()));
  auto err = rd_kafka_producev(producer_.get(), RD_KAFKA_V_TOPIC(options_.kafka.checkpoints_topic().c_str()),
                               RD_KAFKA_V_KEY(options_.origin.data(), options_.origin.size()),
                               RD_KAFKA_V_VALUE(const_cast<char*>(note.data()), note.size()),
                               RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(h),
                               RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(size | kTopicCheckpoint)), RD_KAFKA_V_END);
  if (err) {
    rd_kafka_headers_destroy(h);
    return;
  }
  last_checkpoint_sent_ = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  cp_inflight_ = size;
}

void Relay::run() {
  auto last_persist = std::chrono::steady_clock::now();
  while (!stopping_) {
    rd_kafka_poll(producer_.get(), 20);
    bool restart;
    {
      std::lock_guard lock(mu_);
      restart = restart_;
    }
    char fatal[256];
    if (!restart && rd_kafka_fatal_error(producer_.get(), fatal, sizeof fatal)) {
      std::lock_guard lock(mu_);
      last_error_ = fatal;
      ++errors_;
      restart = true;
    }
    if (restart) {
      spdlog::warn("Kafka relay: {}; restarting the producer from position {}", last_error_, cursor_ + 1);
      rd_kafka_purge(producer_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
      rd_kafka_poll(producer_.get(), 100);
      producer_.reset();
      {
        std::lock_guard lock(mu_);
        inflight_ = 0;
        cp_inflight_ = 0;
        delivered_ahead_.clear();
        keys_inflight_.clear();
        next_ = cursor_ + 1;
        restart_ = false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      if (!make_producer().ok()) continue;
    }
    send_more();
    send_checkpoints();
    auto now = std::chrono::steady_clock::now();
    if (now - last_persist > std::chrono::milliseconds(100)) {
      persist_cursor();
      last_persist = now;
    }
    std::unique_lock lock(mu_);
    if (next_ > store_.last_position() && inflight_ == 0 && !woken_)
      cv_.wait_for(lock, std::chrono::milliseconds(50), [&] { return woken_ || stopping_.load(); });
    woken_ = false;
  }
  // Deliver what is in flight, briefly, then record how far we got.
  if (producer_) rd_kafka_flush(producer_.get(), 2000);
  persist_cursor();
}

RelayStats Relay::stats() const {
  RelayStats s;
  {
    std::lock_guard lock(mu_);
    s.cursor = cursor_;
    s.delivered = delivered_;
    s.errors = errors_;
    s.last_error = last_error_;
    s.checkpoint_cursor = cp_cursor_;
  }
  s.last_position = store_.last_position();
  s.lag_events = s.last_position > s.cursor ? s.last_position - s.cursor : 0;
  if (s.lag_events > 0) {
    if (auto rec = store_.record_at(s.cursor + 1); rec.ok()) {
      if (auto se = domain::decode_envelope(s.cursor + 1, *rec); se.ok())
        s.lag_seconds = std::max(0.0, (system_now_ms() - se->event.time) / 1000.0);
    }
  }
  return s;
}

bool Relay::wait_for(uint64_t position, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return cursor_ >= position; });
}

void Relay::stop() {
  if (stopping_.exchange(true)) return;
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace certledger::stream
