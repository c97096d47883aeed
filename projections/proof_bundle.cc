#include "projections/proof_bundle.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "ledger/merkle/checkpoint.h"
#include "ledger/merkle/state_map.h"
#include "ledger/merkle/tree.h"
#include "ledger/util/encoding.h"
#include "projections/projections.h"
#include "projections/queries.h"
#include "projections/state_map.h"

namespace certledger::projections {

namespace {

std::string b64(const Hash256& h) { return base64_encode(hash_view(h)); }

Error broken(const std::string& why) { return make_error(Errc::corruption, "statement proof: " + why); }

Result<Hash256> hash_of_b64(std::string_view s, const char* what) {
  auto raw = base64_decode(s);
  auto h = raw ? hash_from_bytes(*raw) : std::nullopt;
  if (!h) return broken(std::string(what) + " is not a base64 SHA-256 hash");
  return *h;
}

}  // namespace

struct StatementProver::Impl {
  explicit Impl(const store::EventStore& s) : store(s) {}
  const store::EventStore& store;

  // What proofs are made against: a checkpoint, the store as it was when
  // the checkpoint was written, and the tree above the buckets then.
  struct State {
    std::shared_ptr<const Published> checkpoint;
    merkle::EdgeRoots edge;  // the log tree's right edge at this size
    std::shared_ptr<const store::StoreSnapshot> snapshot;
    std::shared_ptr<const merkle::BucketMap> map;
  };
  mutable std::mutex mu;
  std::shared_ptr<const State> state;  // guarded by mu
  std::shared_ptr<const State> current() const {
    std::lock_guard lock(mu);
    return state;
  }

  struct Offer {
    uint64_t size;
    std::string note;
    std::shared_ptr<const store::StoreSnapshot> snapshot;
  };
  std::condition_variable cv;
  std::optional<Offer> offered;  // guarded by mu
  bool stopping = false;         // guarded by mu
  std::thread worker;
  std::atomic<uint64_t> refused{0};
  std::mutex take_up_mu;  // publish_latest and the worker take up one at a time

  // The log tree's stored nodes, the upper ones (level >= 8: every proof
  // reads the same few, and they never change) kept in memory: at most one
  // per 256 records.
  static constexpr uint8_t kCachedLevel = 8;
  mutable std::shared_mutex nodes_mu;
  mutable std::unordered_map<uint64_t, Hash256> upper_nodes;  // guarded by nodes_mu
  merkle::NodeSource nodes() const {
    return [this](merkle::NodeId id) -> Result<Hash256> {
      if (id.level < kCachedLevel) return store.merkle_node(id);
      const uint64_t key = (uint64_t{id.level} << 56) | id.index;
      {
        std::shared_lock lock(nodes_mu);
        if (auto it = upper_nodes.find(key); it != upper_nodes.end()) return it->second;
      }
      CL_ASSIGN(Hash256 h, store.merkle_node(id));
      std::unique_lock lock(nodes_mu);
      upper_nodes.emplace(key, h);
      return h;
    };
  }

  Status take_up(Offer o);
  void run();
};

Status StatementProver::Impl::take_up(Offer o) {
  std::lock_guard one_at_a_time(take_up_mu);
  auto cur = current();
  const uint64_t cur_size = cur ? cur->checkpoint->size : 0;
  if (cur && o.size < cur_size) return {};  // an older one, offered late
  auto next = std::make_shared<State>();
  next->checkpoint = std::make_shared<const Published>(Published{o.size, std::move(o.note)});
  if (cur && cur_size == o.size) {
    // A newer checkpoint of the same size (a later time): same state.
    next->snapshot = cur->snapshot;
    next->map = cur->map;
    next->edge = cur->edge;
  } else {
    auto stored = o.snapshot->get(kCfStateMap, kMapRootKey);
    auto root = stored ? decode_map_root(*stored) : std::nullopt;
    if (!root || root->first != o.size)
      return make_error(Errc::unavailable, "the state map is not at tree size " + std::to_string(o.size));
    CL_ASSIGN(auto c, merkle::parse_checkpoint_body(next->checkpoint->note));
    auto named = map_root_of(c);
    if (!named || c.size != o.size) return make_error(Errc::invalid_argument, "the checkpoint names no map root");
    CL_ASSIGN(auto roots, read_bucket_roots(
                              [&](std::string_view cf, std::string_view prefix, const store::EventStore::Visitor& fn) {
                                return o.snapshot->scan_prefix(cf, prefix, fn);
                              }));
    // Only the buckets that changed since the last state are rehashed.
    auto map = cur ? std::make_shared<merkle::BucketMap>(*cur->map) : std::make_shared<merkle::BucketMap>();
    std::erase_if(roots, [&](const auto& r) { return map->bucket_root(r.first) == r.second; });
    map->set_roots(roots);
    if (map->root() != root->second || map->root() != *named) {
      refused.fetch_add(1, std::memory_order_relaxed);
      return make_error(Errc::corruption,
                        "the state map at tree size " + std::to_string(o.size) + " is not the checkpoint's");
    }
    CL_ASSIGN(next->edge, merkle::edge_roots(o.size, nodes()));
    next->snapshot = std::move(o.snapshot);
    next->map = std::move(map);
  }
  std::lock_guard lock(mu);
  state = std::move(next);
  return {};
}

void StatementProver::Impl::run() {
  std::unique_lock lock(mu);
  for (;;) {
    cv.wait(lock, [&] { return stopping || offered; });
    if (stopping) return;
    Offer o = std::move(*offered);
    offered.reset();
    lock.unlock();
    (void)take_up(std::move(o));  // a refused one leaves the last state in place
    lock.lock();
  }
}

StatementProver::StatementProver(const store::EventStore& store) : impl_(std::make_shared<Impl>(store)) {}

StatementProver::~StatementProver() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  if (impl_->worker.joinable()) impl_->worker.join();
}

Status StatementProver::publish_latest() {
  auto snapshot = impl_->store.snapshot();
  auto latest = impl_->store.latest_checkpoint();
  if (!latest) return make_error(Errc::unavailable, "the log has no checkpoint yet");
  return impl_->take_up({latest->first, std::move(latest->second), std::move(snapshot)});
}

void StatementProver::follow() {
  std::weak_ptr<Impl> weak = impl_;
  impl_->store.add_checkpoint_listener([weak](uint64_t size, const std::string& note) {
    auto impl = weak.lock();
    if (!impl) return;
    auto snapshot = impl->store.snapshot();  // the store as this checkpoint's writer left it
    {
      std::lock_guard lock(impl->mu);
      impl->offered = Impl::Offer{size, note, std::move(snapshot)};
    }
    impl->cv.notify_one();
  });
  impl_->worker = std::thread([impl = impl_.get()] { impl->run(); });
}

std::shared_ptr<const StatementProver::Published> StatementProver::checkpoint() const {
  auto s = impl_->current();
  return s ? s->checkpoint : nullptr;
}

uint64_t StatementProver::refused() const { return impl_->refused.load(std::memory_order_relaxed); }

Result<StatementProver::Proof> StatementProver::prove(std::string_view token) const {
  auto st = impl_->current();
  if (!st) return make_error(Errc::unavailable, "no checkpoint with a state map yet");
  const store::StoreSnapshot& snap = *st->snapshot;
  Proof p;
  p.tree_size = st->checkpoint->size;
  p.note = st->checkpoint->note;
  p.body = std::string(kBundleHeader) + "\ntoken " + std::string(token) + "\n";
  std::optional<CertView> view;
  uint32_t version = 0;
  if (auto target = Reader::decode_token_target(token, snap.get(kCfTokens, token)); target.ok()) {
    auto bytes = snap.get(kCfCerts, target->certificate);
    if (!bytes) return make_error(Errc::corruption, "token " + std::string(token) + " names a missing certificate");
    CL_ASSIGN(view, decode(*bytes));
    version = target->version;
  }
  if (view) {
    p.statement = public_statement(*view, version);
    p.position = view->last_position;
    p.body += "statement " + base64_encode(*p.statement) + "\n";
  }
  p.body += "map-proof " + base64_encode(st->map->prove(SnapshotBuckets(snap), sha256(token)).encode()) + "\n";
  if (view) {
    CL_ASSIGN(std::string record, impl_->store.record_at(p.position));
    p.body += "record " + std::to_string(p.position) + " " + b64(merkle::leaf_hash(record)) + "\n";
    CL_ASSIGN(auto path, merkle::inclusion_proof(p.position - 1, p.tree_size, impl_->nodes(), st->edge));
    for (const auto& h : path) p.body += "inclusion " + b64(h) + "\n";
  }
  p.body += "\n";
  return p;
}

Result<std::string> build_statement_bundle(const store::EventStore& store, std::string_view token) {
  if (auto latest = store.latest_checkpoint(); !latest || latest->first != store.last_position())
    return make_error(Errc::unavailable, "the log has records after its latest checkpoint");
  StatementProver prover(store);
  CL_TRY(prover.publish_latest());
  CL_ASSIGN(auto proof, prover.prove(token));
  return proof.bundle();
}

Result<BundleCheck> verify_statement_bundle(std::string_view bundle, std::string_view origin,
                                            const crypto::PublicKey& log_key, UnixMillis now, int64_t max_age_seconds,
                                            const merkle::Policy* quorum) {
  const size_t split = bundle.find("\n\n");
  if (split == std::string_view::npos) return broken("no blank line before the checkpoint");
  const std::vector<std::string_view> lines = split_lines(bundle.substr(0, split + 1));
  if (lines.empty() || lines[0] != kBundleHeader) return broken("the first line is not " + std::string(kBundleHeader));
  BundleCheck out;
  std::optional<std::string> map_proof;
  std::optional<uint64_t> position;
  Hash256 leaf{};
  std::vector<Hash256> path;
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string_view l = lines[i];
    const size_t sp = l.find(' ');
    const std::string_view name = l.substr(0, sp), value = sp == std::string_view::npos ? "" : l.substr(sp + 1);
    if (name == "token" && out.token.empty() && !value.empty()) {
      out.token = std::string(value);
    } else if (name == "statement" && !out.statement) {
      auto s = base64_decode(value);
      if (!s) return broken("the statement is not base64");
      out.statement = std::move(*s);
    } else if (name == "map-proof" && !map_proof) {
      map_proof = base64_decode(value);
      if (!map_proof) return broken("the map proof is not base64");
    } else if (name == "record" && !position) {
      const size_t sp2 = value.find(' ');
      position = parse_decimal(value.substr(0, sp2));
      if (!position || *position == 0 || sp2 == std::string_view::npos) return broken("bad record line");
      CL_ASSIGN(leaf, hash_of_b64(value.substr(sp2 + 1), "the record's leaf hash"));
    } else if (name == "inclusion") {
      CL_ASSIGN(auto h, hash_of_b64(value, "an inclusion hash"));
      path.push_back(h);
    } else {
      return broken("unexpected line \"" + std::string(l.substr(0, 40)) + "\"");
    }
  }
  if (out.token.empty() || !map_proof) return broken("a token and a map proof are required");
  if (out.statement.has_value() != position.has_value())
    return broken("a statement comes with the record that made it, and only then");

  auto c = merkle::open_checkpoint(bundle.substr(split + 2), origin, log_key);
  if (!c.ok()) return broken("checkpoint: " + c.error().message);
  out.tree_size = c->size;
  if (quorum) {
    auto verdict = quorum->check(bundle.substr(split + 2));
    if (!verdict.ok()) return broken("checkpoint: " + verdict.error().message);
    out.witnesses = std::move(verdict->cosigned);
    if (!verdict->met)
      return make_error(Errc::unavailable, "statement proof: the checkpoint of size " + std::to_string(c->size) +
                                               " is " + quorum->shortfall(*verdict));
  }
  auto map_root = map_root_of(*c);
  auto seconds = merkle::checkpoint_time(*c);
  if (!map_root || !seconds) return broken("the checkpoint has no map-root or time line");
  out.checkpoint_time = static_cast<UnixMillis>(*seconds) * 1000;
  out.age_seconds = now / 1000 - static_cast<int64_t>(*seconds);
  out.fresh = out.age_seconds <= max_age_seconds;

  CL_ASSIGN(auto proof, merkle::MapProof::decode(*map_proof));
  const std::optional<Hash256> value = out.statement ? std::optional<Hash256>(sha256(*out.statement)) : std::nullopt;
  if (auto st = merkle::map_verify(*map_root, sha256(out.token), value, proof); !st.ok())
    return broken(st.error().message);
  if (!out.statement) {
    out.status = "unknown";
    return out;
  }
  auto j = nlohmann::json::parse(*out.statement, nullptr, false);
  if (!j.is_object() || !j.contains("position") || !j["position"].is_number_unsigned() || !j.contains("status") ||
      !j["status"].is_string())
    return broken("the statement is not a statement object");
  if (j["position"].get<uint64_t>() != *position) return broken("the record line is not the statement's position");
  if (*position > c->size) return broken("the statement's record is beyond the checkpoint");
  if (auto st = merkle::verify_inclusion(*position - 1, c->size, leaf, path, c->root); !st.ok())
    return broken("record inclusion: " + st.error().message);
  out.status = j["status"].get<std::string>();
  if (out.status == "valid" && j.contains("valid_until") && j["valid_until"].is_string())
    if (auto until = parse_date(j["valid_until"].get<std::string>()); until && *until < china_date(out.checkpoint_time))
      out.status = "expired";
  return out;
}

}  // namespace certledger::projections
