#include "ledger/audit.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <future>
#include <optional>
#include <thread>

#include "ledger/crypto/jws.h"
#include "ledger/ledger.h"
#include "ledger/store/keys.h"
#include "ledger/util/encoding.h"

namespace certledger {

Auditor::Auditor(std::optional<crypto::PublicKey> trusted) : trusted_log_key_(std::move(trusted)) {}

Status Auditor::fail(uint64_t position, std::string reason) {
  if (!failure_) failure_ = AuditFailure{position, reason};
  std::string where = position ? "position " + std::to_string(position) + ": " : "";
  return make_error(Errc::corruption, where + reason);
}

Status Auditor::expect_checkpoint(uint64_t size, std::string note) {
  if (size <= range_.size() && size != 0)
    return fail(0, "checkpoint of size " + std::to_string(size) + " added after its records");
  pending_checkpoints_[size].push_back(std::move(note));
  return {};
}

void Auditor::set_quorum(const merkle::Policy* quorum) {
  quorum_ = quorum;
  summary_.quorum = quorum ? quorum->describe() : "";
}

std::string AuditSummary::quorum_failure() const {
  if (quorum.empty() || newest_checkpoint == 0 || witnessed_size == newest_checkpoint) return "";
  return "the newest checkpoint (size " + std::to_string(newest_checkpoint) + ") is below the witness quorum (" +
         quorum + "); the largest witnessed is size " + std::to_string(witnessed_size);
}

namespace {

PreparedRecord prepare_one(std::string_view record, const std::unordered_map<std::string, crypto::PublicKey>& keys) {
  PreparedRecord p;
  auto parts = crypto::jws_parse(record);
  if (!parts.ok()) {
    p.error = parts.error().message;
    return p;
  }
  auto event = domain::parse_event(parts->payload);
  if (!event.ok()) {
    p.error = event.error().message;
    return p;
  }
  if (auto k = keys.find(parts->kid); k != keys.end()) {
    p.checked_with = k->second;
    p.verdict = crypto::jws_verify(*parts, k->second);
  }
  p.parts = std::move(*parts);
  p.event = std::move(*event);
  return p;
}

}  // namespace

Auditor::KeySnapshot Auditor::key_snapshot() const {
  KeySnapshot keys;
  for (const auto* k : registry_.keys()) keys.emplace(k->kid, k->key);
  return keys;
}

std::vector<PreparedRecord> Auditor::prepare_batch(const std::vector<std::string_view>& records) const {
  return prepare_batch(records, key_snapshot());
}

std::vector<PreparedRecord> Auditor::prepare_batch(const std::vector<std::string_view>& records,
                                                   const KeySnapshot& keys) {
  std::vector<PreparedRecord> out(records.size());
  const size_t threads = std::max<size_t>(1, std::min<size_t>(std::thread::hardware_concurrency(), records.size()));
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (size_t i = t; i < records.size(); i += threads) out[i] = prepare_one(records[i], keys);
    });
  for (size_t i = 0; i < records.size(); i += threads) out[i] = prepare_one(records[i], keys);
  for (auto& th : pool) th.join();
  return out;
}

Status Auditor::add_record(uint64_t position, std::string_view record, domain::Record* accepted,
                           PreparedRecord* prepared) {
  if (failure_) return make_error(Errc::corruption, "audit already failed");
  if (position != range_.size() + 1)
    return fail(range_.size() + 1, "missing event: next record is at position " + std::to_string(position));
  PreparedRecord local;
  if (!prepared) {
    local = prepare_one(record, {});
    prepared = &local;
  }
  if (!prepared->parts || !prepared->event) return fail(position, prepared->error);
  crypto::JwsParts* parts = &*prepared->parts;
  domain::Event* event = &*prepared->event;
  // The signature: what the batch's check said if it used this very key.
  auto verify = [&](const crypto::PublicKey& key) -> Status {
    if (prepared->checked_with && prepared->checked_with->raw() == key.raw()) return prepared->verdict;
    return crypto::jws_verify(*parts, key);
  };
  const domain::Event& e = *event;

  // Signature, with the key valid at this position.
  if (e.type == "log.initialized") {
    auto key = crypto::PublicKey::from_jwk(e.data.value("jwk", nlohmann::json::object()));
    if (!key.ok()) return fail(position, "log.initialized: " + key.error().message);
    if (trusted_log_key_ && key->raw() != trusted_log_key_->raw())
      return fail(position, "the log key is not the trusted log key");
    if (auto st = verify(*key); !st.ok()) return fail(position, st.error().message);
    if (auto st = registry_.apply(e, position, parts->kid); !st.ok()) return fail(position, st.error().message);
  } else {
    auto k = registry_.signing_key(parts->kid, position, e.authority, e.type);
    if (!k.ok()) return fail(position, k.error().message);
    if (auto st = verify((*k)->key); !st.ok()) return fail(position, st.error().message);
    if (Registry::is_registry_event(e.type)) {
      if (auto st = registry_.apply(e, position, parts->kid); !st.ok()) return fail(position, st.error().message);
    }
  }
  if (position == 1 && e.type != "log.initialized") return fail(1, "the log does not start with log.initialized");

  // Per-stream chain.
  const Hash256 h = sha256(record);
  auto it = heads_.find(e.stream);
  const uint64_t have = it == heads_.end() ? 0 : it->second.first;
  if (e.seq != have + 1)
    return fail(position,
                "stream " + e.stream + " jumps from version " + std::to_string(have) + " to " + std::to_string(e.seq));
  const std::string prev = have ? hash_hex(it->second.second) : std::string();
  if (e.prev != prev) return fail(position, "stream " + e.stream + ": prev hash does not match");
  heads_[e.stream] = {e.seq, h};
  if (have == 0) {
    ++summary_.streams;
    if (domain::is_certificate_id(e.stream)) ++summary_.certificates;
  }

  // Merkle tree.
  Status node_status;
  range_.append(merkle::leaf_hash(record), [&](merkle::NodeId id, const Hash256& node) {
    if (node_check_ && node_status.ok()) node_status = node_check_(id, node);
  });
  if (!node_status.ok()) return fail(position, node_status.error().message);
  ++summary_.events;

  auto cp = pending_checkpoints_.find(range_.size());
  if (cp != pending_checkpoints_.end()) {
    auto log_kid = registry_.active_kid("");
    if (!log_kid) return fail(position, "checkpoint but no log key");
    bool witnessed = false;
    for (const auto& note : cp->second) {
      auto c = merkle::open_checkpoint(note, registry_.origin(), registry_.key(*log_kid)->key);
      if (!c.ok()) return fail(position, c.error().message);
      if (c->size != range_.size() || c->root != range_.root())
        return fail(position,
                    "checkpoint at size " + std::to_string(c->size) + " does not match the recomputed Merkle root");
      if (quorum_) {
        auto verdict = quorum_->check(note);
        if (!verdict.ok())
          return fail(position, "checkpoint at size " + std::to_string(c->size) + ": " + verdict.error().message);
        witnessed = witnessed || verdict->met;
      }
    }
    ++summary_.checkpoints;
    summary_.newest_checkpoint = range_.size();
    if (witnessed) summary_.witnessed_size = range_.size();
    else if (quorum_) ++summary_.below_quorum;
    pending_checkpoints_.erase(cp);
  }
  if (accepted) {
    accepted->position = position;
    accepted->kid = std::move(parts->kid);
    accepted->event = std::move(*event);
    accepted->hash = h;
  }
  return {};
}

Status Auditor::finish() {
  if (failure_) return make_error(Errc::corruption, failure_->reason);
  if (!pending_checkpoints_.empty())
    return fail(0, "checkpoint at size " + std::to_string(pending_checkpoints_.begin()->first) +
                       " is beyond the log's " + std::to_string(range_.size()) + " events");
  summary_.root = range_.root();
  summary_.authorities = registry_.authorities().size();
  summary_.keys = registry_.keys().size();
  return {};
}

struct BatchedAudit::Batch {
  uint64_t first = 1;
  std::vector<std::string> records;
  std::future<std::vector<PreparedRecord>> prepared;
};

BatchedAudit::BatchedAudit(Auditor& auditor, Accepted accepted, size_t batch)
    : auditor_(auditor), accepted_(std::move(accepted)), size_(batch), filling_(std::make_unique<Batch>()) {
  filling_->first = auditor_.last_position() + 1;
}

BatchedAudit::~BatchedAudit() {
  if (ahead_ && ahead_->prepared.valid()) ahead_->prepared.wait();
}

Status BatchedAudit::add(uint64_t position, std::string_view record) {
  if (!status_.ok()) return status_;
  if (position != filling_->first + filling_->records.size())
    return status_ = make_error(Errc::corruption,
                                "position " + std::to_string(filling_->first + filling_->records.size()) +
                                    ": missing event: next record is at position " + std::to_string(position));
  filling_->records.emplace_back(record);
  if (filling_->records.size() >= size_) status_ = hand_over();
  return status_;
}

Status BatchedAudit::finish() {
  if (status_.ok() && !filling_->records.empty()) status_ = hand_over();
  if (status_.ok() && ahead_) status_ = apply(*ahead_);
  ahead_.reset();
  return status_;
}

// Hands the filled batch over to be prepared, then applies the one before.
Status BatchedAudit::hand_over() {
  auto next = std::move(filling_);
  filling_ = std::make_unique<Batch>();
  filling_->first = next->first + next->records.size();
  // The views point into the records' strings, which stay where they are.
  std::vector<std::string_view> views(next->records.begin(), next->records.end());
  next->prepared = std::async(std::launch::async, [views = std::move(views), keys = auditor_.key_snapshot()] {
    return Auditor::prepare_batch(views, keys);
  });
  Status st;
  if (ahead_) st = apply(*ahead_);
  ahead_ = std::move(next);
  return st;
}

Status BatchedAudit::apply(Batch& b) {
  auto prepared = b.prepared.get();
  for (size_t i = 0; i < b.records.size(); ++i) {
    domain::Record accepted;
    CL_TRY(auditor_.add_record(b.first + i, b.records[i], &accepted, &prepared[i]));
    if (accepted_) CL_TRY(accepted_(accepted));
  }
  return {};
}

Result<AuditSummary> audit_store(const store::EventStore& store, std::optional<crypto::PublicKey> trusted,
                                 const std::function<void(uint64_t, uint64_t)>& progress,
                                 const merkle::Policy* quorum) {
  auto start = std::chrono::steady_clock::now();
  Auditor a(std::move(trusted));
  a.set_quorum(quorum);
  for (auto& [size, note] : store.checkpoints()) CL_TRY(a.expect_checkpoint(size, note));
  a.set_node_check([&](merkle::NodeId id, const Hash256& h) -> Status {
    auto stored = store.merkle_node(id);
    if (!stored.ok() || *stored != h)
      return make_error(Errc::corruption, "stored Merkle node level " + std::to_string(id.level) + " index " +
                                              std::to_string(id.index) + " differs");
    return {};
  });
  const uint64_t last = store.last_position();
  Status st;
  BatchedAudit batched(a, [&](const domain::Record& r) -> Status {
    // The stream index must point back at this position.
    const domain::Event& e = r.event;
    auto idx = store.get(store::kCfStreams, store::stream_key(e.stream, e.seq));
    if (!idx || idx->size() != 8 || get_be64(*idx) != r.position)
      return make_error(Errc::corruption, "position " + std::to_string(r.position) + ": stream index entry for " +
                                              e.stream + " seq " + std::to_string(e.seq) + " does not point here");
    if (progress && (r.position % 4096 == 0 || r.position == last)) progress(r.position, last);
    return {};
  });
  CL_TRY(store.scan(1, 0, [&](uint64_t pos, std::string_view record) {
    st = batched.add(pos, record);
    return st.ok();
  }));
  if (st.ok()) st = batched.finish();
  CL_TRY(st);
  if (a.last_position() != last)
    return make_error(Errc::corruption, "position " + std::to_string(a.last_position() + 1) +
                                            ": missing event (the store says the log has " + std::to_string(last) +
                                            ")");
  CL_TRY(a.finish());
  if (auto enc = store.get(store::kCfMeta, store::kMetaCompactRange)) {
    auto r = merkle::CompactRange::decode(*enc);
    if (!r.ok() || r->root() != a.range().root())
      return make_error(Errc::corruption, "stored Merkle frontier differs from the recomputed tree");
  }
  AuditSummary s = a.summary();
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

}  // namespace certledger
