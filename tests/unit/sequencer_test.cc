// The sequencer on its own: a real EventStore, records that are plain
// bytes (it neither parses nor verifies them), and contributors written
// here. What it promises (ledger/store/sequencer.h): dense positions,
// stream versions and prev hashes that follow, unique claims, idempotent
// repeats, one group commit per batch, and nothing of a refused event
// written.
#include "ledger/store/sequencer.h"

#include <gtest/gtest.h>

#include "tests/wait.h"

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "ledger/crypto/keys.h"
#include "ledger/store/keys.h"
#include "ledger/util/hash.h"
#include "tests/unit/ledger_helpers.h"

namespace certledger::store {
namespace {

using certledger::testing::TempDir;

struct World {
  TempDir dir;
  std::unique_ptr<EventStore> store;
  std::unique_ptr<Sequencer> seq;
  std::map<std::string, std::string> last_record;  // stream -> its newest record, for prev

  explicit World(std::vector<BatchContributor*> contributors = {}, SequencerOptions o = {}) {
    StoreOptions so;
    so.path = (dir.path() / "db").string();
    auto s = EventStore::open(so);
    EXPECT_TRUE(s.ok());
    store = std::move(*s);
    if (!o.clock) o.clock = system_now_ms;
    seq = std::make_unique<Sequencer>(*store, std::move(o), std::move(contributors));
  }
  ~World() { seq->stop(); }

  // The next event of `stream` (version after its last), as a request.
  AppendRequest next(const std::string& stream, uint64_t seq_no, const std::string& body) {
    AppendRequest r;
    domain::Event& e = r.record.event;
    e.type = "test.appended";
    e.stream = stream;
    e.seq = seq_no;
    e.authority = "T";
    e.prev = seq_no == 1 ? "" : hash_hex(sha256(last_record[stream]));
    r.record.bytes = stream + "#" + std::to_string(seq_no) + ":" + body;
    r.record.hash = sha256(r.record.bytes);
    r.record.kid = "T/k1";
    r.idempotency_scope = "T";
    return r;
  }
  Result<AppendResult> append(AppendRequest r) {
    const std::string stream = r.record.event.stream, record = r.record.bytes;
    auto out = seq->append(std::move(r));
    if (out.ok() && !out->replayed) last_record[stream] = record;
    return out;
  }
};

TEST(Sequencer, ManySubmittersGetDensePositionsAndEachStreamItsOrder) {
  World w;
  constexpr int kThreads = 4, kEach = 50;
  std::vector<std::thread> threads;
  std::mutex mu;
  std::set<uint64_t> positions;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      const std::string stream = "s" + std::to_string(t);
      std::string prev;
      for (int i = 1; i <= kEach; ++i) {
        AppendRequest r;
        domain::Event& e = r.record.event;
        e.type = "test.appended";
        e.stream = stream;
        e.seq = static_cast<uint64_t>(i);
        e.prev = prev.empty() ? "" : hash_hex(sha256(prev));
        r.record.bytes = stream + "/" + std::to_string(i);
        r.record.hash = sha256(r.record.bytes);
        prev = r.record.bytes;
        auto out = w.seq->append(std::move(r));
        ASSERT_TRUE(out.ok()) << out.error().to_string();
        EXPECT_EQ(out->seq, static_cast<uint64_t>(i));
        // The record comes back with the position it got.
        EXPECT_EQ(out->record.position, out->position);
        EXPECT_EQ(out->record.bytes, prev);
        std::lock_guard lock(mu);
        EXPECT_TRUE(positions.insert(out->position).second);
      }
    });
  for (auto& t : threads) t.join();
  ASSERT_EQ(positions.size(), size_t{kThreads * kEach});
  EXPECT_EQ(*positions.begin(), 1u);
  EXPECT_EQ(*positions.rbegin(), uint64_t{kThreads * kEach});
  EXPECT_EQ(w.store->last_position(), uint64_t{kThreads * kEach});
  for (int t = 0; t < kThreads; ++t) {
    const std::string stream = "s" + std::to_string(t);
    EXPECT_EQ(w.store->head(stream).version, uint64_t{kEach});
    auto ps = w.store->stream_positions(stream);
    ASSERT_TRUE(ps.ok());
    ASSERT_EQ(ps->size(), size_t{kEach});
    EXPECT_TRUE(std::is_sorted(ps->begin(), ps->end()));
    for (size_t i = 0; i < ps->size(); ++i)
      EXPECT_EQ(*w.store->record_at((*ps)[i]), stream + "/" + std::to_string(i + 1));
  }
  EXPECT_GE(w.seq->stats().batches, 1u);
  EXPECT_LE(w.seq->stats().batches, uint64_t{kThreads * kEach});
}

TEST(Sequencer, RefusesWhatDoesNotFollowAndWritesNothingOfIt) {
  World w;
  auto first = w.next("a", 1, "x");
  first.claims = {"number/A-1"};
  first.idempotency_key = "k1";
  first.request_hash = sha256("request one");
  ASSERT_TRUE(w.append(first).ok());
  ASSERT_TRUE(w.append(w.next("a", 2, "y")).ok());
  const uint64_t last = w.store->last_position();

  auto skipped = w.append(w.next("a", 4, "z"));  // version 3 is missing
  ASSERT_FALSE(skipped.ok());
  EXPECT_EQ(skipped.error().code, Errc::conflict);
  EXPECT_EQ(skipped.error().detail, Detail::none);

  auto wrong_prev = w.next("a", 3, "z");
  wrong_prev.record.event.prev = hash_hex(sha256("not the last record"));
  auto forked = w.append(wrong_prev);
  ASSERT_FALSE(forked.ok());
  EXPECT_EQ(forked.error().code, Errc::conflict);

  auto taken = w.next("b", 1, "x");
  taken.claims = {"number/A-1"};
  auto claim = w.append(taken);
  ASSERT_FALSE(claim.ok());
  EXPECT_EQ(claim.error().code, Errc::already_exists);
  EXPECT_EQ(claim.error().detail, Detail::claim_taken);
  EXPECT_EQ(claim.error().subject, "number/A-1");

  auto again = w.next("c", 1, "other");
  again.idempotency_key = "k1";
  again.request_hash = sha256("request one");
  auto replay = w.append(again);
  ASSERT_TRUE(replay.ok());
  EXPECT_TRUE(replay->replayed);
  EXPECT_EQ(replay->position, 1u);

  again.request_hash = sha256("request two");
  auto reused = w.append(again);
  ASSERT_FALSE(reused.ok());
  EXPECT_EQ(reused.error().detail, Detail::idempotency_key_reused);

  EXPECT_EQ(w.store->last_position(), last);
  EXPECT_EQ(w.store->head("b").version, 0u);
  EXPECT_EQ(w.store->head("c").version, 0u);
  EXPECT_EQ(w.store->head("a").version, 2u);
}

// Refuses events of stream "bad"; counts what it saw.
class PickyContributor : public BatchContributor {
 public:
  std::string name() const override { return "picky"; }
  std::vector<std::string> column_families() const override { return {}; }
  Status apply(const domain::Record& r, BatchWriter& w) override {
    if (r.event.stream == "bad") return make_error(Errc::rule_violation, "no bad streams");
    ++applied;
    // What its fold leaves reaches the submitter: here, the position seen.
    if (w.wants_folded()) w.leave(std::make_shared<const Seen>(r.position));
    return {};
  }
  struct Seen : Folded {
    explicit Seen(uint64_t p) : position(p) {}
    uint64_t position;
  };
  void event_rolled_back() override { ++rolled_back; }
  void end_batch(bool committed) override { committed ? ++committed_groups : ++failed_groups; }
  std::atomic<int> applied{0}, rolled_back{0}, committed_groups{0}, failed_groups{0};
};

// Accepts everything (runs before the picky one, so it is rolled back).
class EagerContributor : public BatchContributor {
 public:
  std::string name() const override { return "eager"; }
  std::vector<std::string> column_families() const override { return {}; }
  Status apply(const domain::Record&, BatchWriter&) override {
    ++applied;
    return {};
  }
  void event_rolled_back() override { ++rolled_back; }
  std::atomic<int> applied{0}, rolled_back{0};
};

TEST(Sequencer, AContributorsRefusalRollsBackOnlyThatEvent) {
  EagerContributor eager;
  PickyContributor picky;
  World w({&eager, &picky});
  // Submitted together, so they can share a group.
  std::vector<std::future<Result<AppendResult>>> futures;
  for (int i = 0; i < 20; ++i) {
    auto r = w.next(i == 7 ? "bad" : "s" + std::to_string(i), 1, "x");
    futures.push_back(w.seq->submit(std::move(r)));
  }
  std::set<uint64_t> positions;
  for (int i = 0; i < 20; ++i) {
    auto out = futures[static_cast<size_t>(i)].get();
    if (i == 7) {
      ASSERT_FALSE(out.ok());
      EXPECT_EQ(out.error().code, Errc::rule_violation);
    } else {
      ASSERT_TRUE(out.ok()) << out.error().to_string();
      positions.insert(out->position);
      const auto* seen = dynamic_cast<const PickyContributor::Seen*>(out->folded.get());
      ASSERT_NE(seen, nullptr) << "the contributor's fold did not reach the submitter";
      EXPECT_EQ(seen->position, out->position);
    }
  }
  EXPECT_EQ(positions.size(), 19u);
  EXPECT_EQ(*positions.rbegin(), 19u);  // dense: the refused event took no position
  EXPECT_EQ(w.store->last_position(), 19u);
  EXPECT_EQ(w.store->head("bad").version, 0u);
  EXPECT_EQ(eager.rolled_back.load(), 1);
  EXPECT_EQ(eager.applied.load(), 20);
  EXPECT_EQ(picky.applied.load(), 19);
  EXPECT_EQ(picky.rolled_back.load(), 0);  // it refused; the one before it undoes
  EXPECT_GE(picky.committed_groups.load(), 1);
  EXPECT_EQ(picky.failed_groups.load(), 0);
}

TEST(Sequencer, ReplicaRecordsMustArriveAtTheirPositions) {
  World w;
  auto r = w.next("a", 1, "x");
  r.record.position = 2;  // the log is empty: 1 comes next
  auto out = w.append(r);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, Errc::corruption);
  r.record.position = 1;
  ASSERT_TRUE(w.append(r).ok());
}

TEST(Sequencer, CheckpointsTheTreeByCountAndOnDemand) {
  SequencerOptions o;
  o.policy.checkpoint_every = 5;
  o.policy.checkpoint_interval_ms = 60000;
  o.origin = "certledger.test/sequencer";
  auto key = crypto::PrivateKey::generate(crypto::KeyAlg::ed25519);
  ASSERT_TRUE(key.ok());
  o.log_key = std::make_shared<const crypto::PrivateKey>(std::move(*key));
  World w({}, std::move(o));
  for (uint64_t i = 1; i <= 7; ++i) ASSERT_TRUE(w.append(w.next("a", i, "x")).ok());
  ASSERT_TRUE(w.seq->checkpoint_now().ok());
  auto latest = w.store->latest_checkpoint();
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->first, 7u);
  EXPECT_NE(latest->second.find("certledger.test/sequencer\n7\n"), std::string::npos) << latest->second;
  EXPECT_TRUE(w.store->checkpoint_at(5).has_value() || w.store->checkpoint_at(6).has_value())
      << "a checkpoint once 5 events were in";
}

// While idle the writer signs its size again with a new time (so proofs
// show a live log), and replaces the stored note of that size; never with
// checkpoint_max_interval_ms 0.
TEST(Sequencer, SignsItsSizeAgainWhileIdle) {
  for (int max : {1000, 0}) {
    auto t = std::make_shared<std::atomic<int64_t>>(1'800'000'000'000);
    SequencerOptions o;
    o.policy.checkpoint_every = 1000;
    o.policy.checkpoint_interval_ms = 10;  // the idle writer looks this often
    o.policy.checkpoint_max_interval_ms = max;
    o.clock = [t] { return t->load(); };
    o.origin = "certledger.test/sequencer";
    auto key = crypto::PrivateKey::generate(crypto::KeyAlg::ed25519);
    ASSERT_TRUE(key.ok());
    o.log_key = std::make_shared<const crypto::PrivateKey>(std::move(*key));
    World w({}, std::move(o));
    for (uint64_t i = 1; i <= 3; ++i) ASSERT_TRUE(w.append(w.next("a", i, "x")).ok());
    ASSERT_TRUE(w.seq->checkpoint_now().ok());
    const std::string first = *w.store->checkpoint_at(3);
    EXPECT_NE(first.find("\ntime 1800000000\n"), std::string::npos) << first;
    t->fetch_add(1500);
    certledger::testing::wait_until([&] { return *w.store->checkpoint_at(3) != first; }, std::chrono::seconds(2));
    const std::string again = *w.store->checkpoint_at(3);
    EXPECT_EQ(w.store->latest_checkpoint()->first, 3u);
    if (max == 0) {
      EXPECT_EQ(again, first) << "signed again with checkpoint_max_interval_ms 0";
      continue;
    }
    EXPECT_NE(again.find("\ntime 1800000001\n"), std::string::npos) << again;
    EXPECT_EQ(again.substr(0, again.find("time")), first.substr(0, first.find("time")))
        << "the same origin, size and root";
  }
}

// A record a tile's entry bundle could not carry (uint16 length) is refused
// before it is written, with the reason; the next one goes in.
TEST(Sequencer, RefusesRecordsLargerThanALogEntry) {
  World w;
  auto big = w.next("a", 1, "x");
  big.record.bytes.resize(kMaxRecordBytes + 1, ' ');
  auto out = w.append(big);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, Errc::invalid_argument);
  EXPECT_NE(out.error().message.find("65535"), std::string::npos) << out.error().message;
  EXPECT_EQ(w.store->last_position(), 0u);
  ASSERT_TRUE(w.append(w.next("a", 1, "x")).ok());
}

// Prefix scans stop at the prefix's end, also when its last bytes are 0xff.
TEST(EventStore, PrefixScansSeeExactlyThePrefixsKeys) {
  World w;
  using namespace std::string_literals;
  const std::string ff = "a\xff"s;
  for (const std::string& k :
       std::vector<std::string>{"a"s, "a\0"s, "a\x01x"s, ff, ff + "\xff", ff + "z", "b"s, "b\0"s})
    ASSERT_TRUE(w.store->put_blob(k, "v", "T").ok());
  auto keys = [&](std::string_view prefix) {
    std::vector<std::string> out;
    EXPECT_TRUE(w.store
                    ->scan_prefix(store::kCfBlobs, prefix,
                                  [&](std::string_view k, std::string_view) {
                                    if (!k.ends_with(std::string_view("\0T", 2))) out.emplace_back(k);  // not owners
                                    return true;
                                  })
                    .ok());
    return out;
  };
  EXPECT_EQ(keys("a").size(), 6u);
  EXPECT_EQ(keys(ff), (std::vector<std::string>{ff, ff + "z", ff + "\xff"}));
  EXPECT_EQ(keys("b"), (std::vector<std::string>{"b"s, "b\0"s}));
  EXPECT_EQ(keys("c"), std::vector<std::string>{});
  EXPECT_EQ(keys("").size(), 8u);
}

}  // namespace
}  // namespace certledger::store
