// Kafka: the relay against real brokers (librdkafka's mock cluster), read
// back with kcat; a broker outage while ingest continues; a replica that
// verifies and converges; tampered records and checkpoints refused.
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "tests/system/shell.h"
#include "tests/wait.h"
#include "ledger/crypto/jws.h"
#include "ops/demo/samples.h"
#include "ledger/merkle/checkpoint.h"
#include "ledger/store/keys.h"
#include "ledger/util/encoding.h"
#include "ledger/stream/follower.h"
#include "ledger/stream/relay.h"
#include "ops/common/kafka_setup.h"
#include "ops/common/setup.h"
#include "projections/proof_bundle.h"
#include "projections/projections.h"
#include "projections/queries.h"
#include "ledger/store/raw.h"

namespace certledger {
namespace {

namespace fs = std::filesystem;

fs::path temp(const std::string& name) {
  static int n = 0;
  auto p = fs::temp_directory_path() /
           ("certledger-kafka-" + name + "-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
  fs::remove_all(p);
  return p;
}

using certledger::testing::run;

ops::OpenLedger open(const fs::path& dir, bool replica = false) {
  ops::OpenOptions o;
  o.data_dir = dir.string();
  o.create = true;
  o.replica = replica;
  o.policy.checkpoint_every = 50;
  o.policy.checkpoint_interval_ms = 200;
  auto l = ops::open_data_dir(o);
  EXPECT_TRUE(l.ok()) << (l.ok() ? "" : l.error().to_string());
  return std::move(*l);
}

void workload(Ledger& l, int n, uint64_t seed) {
  const auto auths = demo::demo_authorities();
  for (const auto& a : auths)
    if (!l.authority(a.code)) {
      ASSERT_TRUE(l.register_authority(a, crypto::KeyAlg::ed25519, "t").ok());
      ASSERT_TRUE(l.put_blob(a.code, demo::SampleGenerator::sample_photo_png(0)).ok());
    }
  std::mt19937_64 rng(seed);
  demo::SampleGenerator gen(seed);
  std::vector<std::pair<std::string, std::string>> ids;
  for (int i = 0; i < n; ++i) {
    const auto& a = auths[rng() % auths.size()];
    if (ids.empty() || rng() % 3) {
      const auto& kind = domain::all_kinds()[rng() % domain::all_kinds().size()];
      auto r = l.execute(a.code, demo::sample_issue(gen, kind, a, china_date(system_now_ms()).plus_days(-3), "t"));
      ASSERT_TRUE(r.ok()) << r.error().to_string();
      ids.emplace_back(r->state.id, a.code);
    } else {
      auto& [id, code] = ids[rng() % ids.size()];
      ASSERT_TRUE(l.execute(code, demo::sample_reissue(id, "t")).ok());
    }
  }
}

stream::KafkaConfig kafka_config(const std::string& bootstrap, const std::string& prefix = "certledger") {
  stream::KafkaConfig k;
  k.bootstrap = bootstrap;
  k.prefix = prefix;
  return k;
}

std::unique_ptr<stream::EmbeddedCluster> cluster(const std::string& prefix = "certledger") {
  auto c = stream::EmbeddedCluster::start(3);
  EXPECT_TRUE(c.ok());
  for (auto [t, n] :
       {std::pair{prefix + ".events", 6}, std::pair{prefix + ".status", 6}, std::pair{prefix + ".checkpoints", 1}})
    EXPECT_TRUE((*c)->create_topic(t, n).ok());
  return std::move(*c);
}

std::unique_ptr<stream::Relay> relay_for(Ledger& l, const std::string& bootstrap) {
  stream::RelayOptions ro;
  ro.kafka = kafka_config(bootstrap);
  ro.origin = l.origin();
  ops::use_status_feed(ro, l);
  auto r = stream::Relay::start(l.store(), ro);
  EXPECT_TRUE(r.ok());
  stream::Relay* p = r->get();
  l.add_commit_listener([p](uint64_t) { p->notify(); });
  return std::move(*r);
}

struct Consumed {
  uint64_t position;
  std::string key, value;
};

// Reads the whole events topic with kcat: key, position header, value.
std::vector<Consumed> kcat_events(const std::string& bootstrap) {
  std::string out = run("kcat -b '" + bootstrap + "' -t certledger.events -C -e -q -f '%k\\t%h\\t%s\\n' 2>/dev/null");
  std::vector<Consumed> got;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    auto t1 = line.find('\t'), t2 = line.find('\t', t1 + 1);
    if (t1 == std::string::npos || t2 == std::string::npos) continue;
    std::string headers = line.substr(t1 + 1, t2 - t1 - 1);
    auto p = headers.find("position=");
    got.push_back({std::stoull(headers.substr(p + 9)), line.substr(0, t1), line.substr(t2 + 1)});
  }
  return got;
}

void check_topic_matches_log(const std::vector<Consumed>& got, store::EventStore& store) {
  std::map<uint64_t, std::string> by_pos;
  std::map<std::string, uint64_t> last_per_key;
  for (const auto& c : got) {
    auto rec = store.record_at(c.position);
    ASSERT_TRUE(rec.ok());
    EXPECT_EQ(c.value, *rec) << "position " << c.position << " differs from the stored record";
    auto& last = last_per_key[c.key];
    EXPECT_GE(c.position, last) << "per-certificate order broken for " << c.key;  // equal: a duplicate
    last = c.position;
    by_pos[c.position] = c.value;
  }
  EXPECT_EQ(by_pos.size(), store.last_position());
  if (!by_pos.empty()) {
    EXPECT_EQ(by_pos.begin()->first, 1u);
    EXPECT_EQ(by_pos.rbegin()->first, store.last_position());
  }
}

TEST(Kafka, RelayDeliversEveryRecordUnchangedReadableByKcat) {
  if (run("command -v kcat").empty()) GTEST_SKIP() << "kcat not installed";
  auto c = cluster();
  auto dir = temp("interop");
  auto l = open(dir);
  auto relay = relay_for(*l.ledger, c->bootstrap());
  workload(*l.ledger, 300, 1);
  ASSERT_TRUE(relay->wait_for(l.ledger->store().last_position(), std::chrono::seconds(60)));
  auto got = kcat_events(c->bootstrap());
  check_topic_matches_log(got, l.ledger->store());
  auto st = relay->stats();
  EXPECT_EQ(st.lag_events, 0u);
  EXPECT_EQ(st.errors, 0u);
  // Status topic: one message per certificate event, keyed by its
  // certificate, exactly the status feed's message for that position.
  std::istringstream status(
      run("kcat -b '" + c->bootstrap() + "' -t certledger.status -C -e -q -f '%k %s\\n' 2>/dev/null"));
  std::map<uint64_t, std::pair<std::string, std::string>> by_position;  // key, message
  for (std::string line; std::getline(status, line);) {
    const auto space = line.find(' ');
    ASSERT_NE(space, std::string::npos) << line;
    auto j = nlohmann::json::parse(line.substr(space + 1));
    by_position[j["position"].get<uint64_t>()] = {line.substr(0, space), line.substr(space + 1)};
  }
  size_t certificate_events = 0;
  store::EventStore& log = l.ledger->store();
  for (uint64_t p = 1; p <= log.last_position(); ++p) {
    auto e = domain::decode_envelope(p, *log.record_at(p));
    ASSERT_TRUE(e.ok());
    auto want = ops::status_message(*l.ledger, *e);
    if (!want) {
      EXPECT_EQ(by_position.count(p), 0u) << p;
      continue;
    }
    ++certificate_events;
    ASSERT_EQ(by_position.count(p), 1u) << p;
    EXPECT_EQ(by_position[p].first, e->event.stream);
    EXPECT_EQ(by_position[p].second, *want);
  }
  EXPECT_GE(certificate_events, 300u);
  EXPECT_EQ(by_position.size(), certificate_events);
  relay.reset();
  l.ledger.reset();
  fs::remove_all(dir);
}

// The status topic's message for each event is the certificate's state right
// after that event. The certificates projection writes it with the event (the
// status feed); where a data dir has none (written before the feed existed),
// the relay folds the certificate up to the event. Both are checked against
// the fold, and against each other byte for byte.
TEST(Kafka, StatusMessageIsTheStateRightAfterEachEvent) {
  auto dir = temp("status");
  auto l = open(dir);
  workload(*l.ledger, 40, 11);
  // Status changes, with reasons, on some of the certificates.
  std::vector<std::pair<std::string, std::string>> certs;  // id, authority
  store::EventStore& st = l.ledger->store();
  for (uint64_t p = 1; p <= st.last_position(); ++p) {
    auto e = domain::decode_envelope(p, *st.record_at(p));
    ASSERT_TRUE(e.ok());
    if (e->event.type == "certificate.issued") certs.emplace_back(e->event.stream, e->event.authority);
  }
  ASSERT_GE(certs.size(), 6u);
  auto change = [&](size_t i, domain::CommandType t, const char* reason) {
    domain::CommandInput c;
    c.type = t;
    c.certificate_id = certs[i].first;
    c.reason = reason;
    c.actor = {"t", domain::Role::approver, {}};
    auto r = l.ledger->execute(certs[i].second, c);
    return r.ok() ? std::string() : r.error().to_string();
  };
  EXPECT_EQ(change(0, domain::CommandType::cancel, "企业申请注销"), "");
  EXPECT_EQ(change(1, domain::CommandType::revoke, "以欺骗手段取得 \"资质\""), "");  // a reason with quotes
  EXPECT_EQ(change(2, domain::CommandType::withdraw, "依法撤回"), "");

  auto messages = [&] {
    std::map<uint64_t, std::string> out;
    for (uint64_t p = 1; p <= st.last_position(); ++p) {
      auto e = domain::decode_envelope(p, *st.record_at(p));
      EXPECT_TRUE(e.ok());
      if (auto m = ops::status_message(*l.ledger, *e)) out[p] = *m;
    }
    return out;
  };
  const auto from_feed = messages();
  size_t certificate_events = 0;
  for (uint64_t p = 1; p <= st.last_position(); ++p) {
    auto e = domain::decode_envelope(p, *st.record_at(p));
    ASSERT_TRUE(e.ok());
    if (!domain::command_of_event_type(e->event.type)) {
      EXPECT_EQ(from_feed.count(p), 0u) << p;
      continue;
    }
    ++certificate_events;
    ASSERT_EQ(from_feed.count(p), 1u) << p;
    auto want = projections::view_at_position(*l.ledger, e->event.stream, p);
    ASSERT_TRUE(want.ok());
    const auto& s = want->state;
    auto j = nlohmann::json::parse(from_feed.at(p));
    EXPECT_EQ(j["certificate"], e->event.stream);
    EXPECT_EQ(j["kind"], s.kind);
    EXPECT_EQ(j["authority"], s.authority);
    EXPECT_EQ(j["number"], s.fields.value("number", ""));
    EXPECT_EQ(j["valid_until"], s.fields.value("valid_until", ""));
    EXPECT_EQ(j["status"], domain::status_name(s.status)) << p;
    EXPECT_EQ(j["version"], s.doc_version) << p;
    EXPECT_EQ(j["position"], p);
    EXPECT_EQ(j["time"], format_rfc3339_ms(e->event.time));
    if (s.status == domain::CertStatus::active) {
      EXPECT_FALSE(j.contains("reason"));
    } else {
      EXPECT_EQ(j["reason"], s.status_reason);
    }
  }
  EXPECT_GE(certificate_events, 40u);
  const uint64_t revoke_at = st.last_position() - 1;
  auto revoked = nlohmann::json::parse(from_feed.at(revoke_at));
  EXPECT_EQ(revoked["status"], "revoked");
  EXPECT_EQ(revoked["reason"], "以欺骗手段取得 \"资质\"");

  // Without the feed: the fold gives the same bytes.
  for (uint64_t p = 1; p <= st.last_position(); ++p)
    ASSERT_TRUE(store::Raw::db(st)
                    ->Delete(rocksdb::WriteOptions(), store::Raw::family(st, projections::kCfStatusFeed), be64(p))
                    .ok());
  EXPECT_FALSE(st.get(projections::kCfStatusFeed, be64(revoke_at)));
  EXPECT_EQ(messages(), from_feed);
  l.ledger.reset();
  fs::remove_all(dir);
}

// Every broker down for a minute (CERTLEDGER_OUTAGE_SECONDS, default 60)
// while commands keep coming: each is acknowledged within a second, nothing
// reaches Kafka meanwhile, and afterwards the topic holds every
// acknowledged record exactly as stored, in per-certificate order.
TEST(Kafka, BrokerOutageNeverBlocksTheLedgerAndLosesNothing) {
  if (run("command -v kcat").empty()) GTEST_SKIP() << "kcat not installed";
  const char* env = std::getenv("CERTLEDGER_OUTAGE_SECONDS");
  const int outage = env ? std::atoi(env) : 60;
  auto c = cluster();
  auto dir = temp("outage");
  auto l = open(dir);
  auto relay = relay_for(*l.ledger, c->bootstrap());
  workload(*l.ledger, 50, 2);
  ASSERT_TRUE(relay->wait_for(l.ledger->store().last_position(), std::chrono::seconds(60)));
  const uint64_t before = l.ledger->store().last_position();
  for (int b = 1; b <= 3; ++b) ASSERT_TRUE(c->set_broker_down(b).ok());
  auto t0 = std::chrono::steady_clock::now();
  double slowest = 0;
  uint64_t rounds = 0;
  while (std::chrono::steady_clock::now() - t0 < std::chrono::seconds(outage)) {
    auto r0 = std::chrono::steady_clock::now();
    workload(*l.ledger, 10, 3 + rounds++);  // appends keep being acknowledged
    slowest = std::max(slowest, std::chrono::duration<double>(std::chrono::steady_clock::now() - r0).count() / 10);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_LT(slowest, 1.0) << "a command waited on the outage";
  auto during = relay->stats();
  EXPECT_EQ(during.cursor, before) << "nothing should be deliverable while every broker is down";
  EXPECT_GT(l.ledger->store().last_position(), before + 10 * rounds - 1);
  for (int b = 1; b <= 3; ++b) ASSERT_TRUE(c->set_broker_up(b).ok());
  ASSERT_TRUE(relay->wait_for(l.ledger->store().last_position(), std::chrono::seconds(120)))
      << "relay did not catch up: " << relay->stats().last_error;
  check_topic_matches_log(kcat_events(c->bootstrap()), l.ledger->store());
  relay.reset();
  l.ledger.reset();
  fs::remove_all(dir);
}

std::map<std::string, std::vector<std::pair<std::string, std::string>>> dump(store::EventStore& s,
                                                                             const std::vector<std::string>& cfs) {
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> out;
  for (const auto& cf : cfs) {
    std::unique_ptr<rocksdb::Iterator> it(
        store::Raw::db(s)->NewIterator(rocksdb::ReadOptions(), store::Raw::family(s, cf)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) out[cf].emplace_back(it->key().ToString(), it->value().ToString());
  }
  return out;
}

// Produces one message with librdkafka (multi-line values included).
struct Message {
  std::string key, value;
  std::map<std::string, std::string> headers;
};

void produce_all(const std::string& bootstrap, const std::string& topic, const std::vector<Message>& messages) {
  auto conf = stream::make_conf(kafka_config(bootstrap), {});
  ASSERT_TRUE(conf.ok());
  char err[256];
  stream::KafkaHandle rk(rd_kafka_new(RD_KAFKA_PRODUCER, *conf, err, sizeof err));
  ASSERT_TRUE(rk);
  for (const auto& m : messages) {
    rd_kafka_headers_t* h = rd_kafka_headers_new(m.headers.size() + 1);
    for (const auto& [k, v] : m.headers)
      rd_kafka_header_add(h, k.c_str(), -1, v.data(), static_cast<ssize_t>(v.size()));
    ASSERT_EQ(rd_kafka_producev(rk.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_KEY(m.key.data(), m.key.size()),
                                RD_KAFKA_V_VALUE(const_cast<char*>(m.value.data()), m.value.size()),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_END),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  ASSERT_EQ(rd_kafka_flush(rk.get(), 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
}

void produce(const std::string& bootstrap, const std::string& topic, const std::string& key, const std::string& value,
             const std::map<std::string, std::string>& headers = {}) {
  produce_all(bootstrap, topic, {Message{key, value, headers}});
}

const std::vector<std::string> kCompared = {"events",  "streams",  "heads",     "merkle",    "claims",
                                            "p_certs", "p_tokens", "p_numbers", "p_holders", "p_stats"};

stream::FollowerOptions follower_options(Ledger& primary, const std::string& bootstrap, const std::string& group) {
  auto log_kid = nlohmann::json::parse(crypto::jws_parse(*primary.store().record_at(1))->payload)["data"]["jwk"];
  return {kafka_config(bootstrap), group, primary.origin(), *crypto::PublicKey::from_jwk(log_kid), std::nullopt, {}};
}

TEST(Kafka, ReplicaVerifiesAndConvergesAndRefusesTampering) {
  auto c = cluster();
  auto pdir = temp("primary"), rdir = temp("replica");
  auto p = open(pdir);
  auto relay = relay_for(*p.ledger, c->bootstrap());
  workload(*p.ledger, 250, 4);
  auto r = open(rdir, true);
  auto follower = stream::Follower::start(*r.ledger, follower_options(*p.ledger, c->bootstrap(), "g1"));
  ASSERT_TRUE(follower.ok()) << follower.error().to_string();
  workload(*p.ledger, 100, 5);  // more while it follows
  ASSERT_TRUE(p.ledger->sequencer()->checkpoint_now().ok());
  const uint64_t last = p.ledger->store().last_position();
  ASSERT_TRUE((*follower)->wait_for(last, std::chrono::seconds(60))) << (*follower)->stats().error;
  // Checkpoints arrive after their records; give the relay a moment.
  certledger::testing::wait_until([&] { return (*follower)->stats().checkpoints > 0; }, std::chrono::seconds(5));
  auto fs_ = (*follower)->stats();
  EXPECT_FALSE(fs_.halted) << fs_.error;
  EXPECT_GT(fs_.checkpoints, 0u);
  // The replica's log and projections equal the primary's, byte for byte.
  auto a = dump(p.ledger->store(), kCompared), b = dump(r.ledger->store(), kCompared);
  for (const auto& cf : kCompared) EXPECT_TRUE(a[cf] == b[cf]) << cf << " differs";

  EXPECT_FALSE((*follower)->stale_for(std::chrono::seconds(60))) << "a current replica is live";
  // The replica proves statements from its own store, and they verify with
  // the primary's log key exactly like the primary's.
  certledger::testing::wait_until(
      [&] {
        auto cp = r.ledger->store().latest_checkpoint();
        return cp && cp->first == last;
      },
      std::chrono::seconds(10));
  {
    auto cp = r.ledger->store().latest_checkpoint();
    ASSERT_TRUE(cp && cp->first == last) << "the replica stored the primary's last checkpoint";
    auto vkey = merkle::parse_note_verifier_key(p.ledger->log_verifier_key());
    ASSERT_TRUE(vkey.ok());
    int proved = 0;
    ASSERT_TRUE(projections::Reader(r.ledger->store())
                    .each_certificate([&](const projections::CertView& v) {
                      auto bundle = projections::build_statement_bundle(r.ledger->store(), v.state.token);
                      EXPECT_TRUE(bundle.ok()) << (bundle.ok() ? "" : bundle.error().to_string());
                      if (!bundle.ok()) return false;
                      auto check =
                          projections::verify_statement_bundle(*bundle, vkey->first, vkey->second, system_now_ms());
                      EXPECT_TRUE(check.ok()) << (check.ok() ? "" : check.error().to_string());
                      auto primary = projections::build_statement_bundle(p.ledger->store(), v.state.token);
                      EXPECT_TRUE(primary.ok() && *primary == *bundle) << "the primary's bundle is the same";
                      return ++proved < 20;
                    })
                    .ok());
    EXPECT_EQ(proved, 20);
  }
  // Tamper 1: a record with a changed payload at the next position.
  std::string forged;
  {
    auto j = nlohmann::json::parse(*p.ledger->store().record_at(last));
    auto payload = nlohmann::json::parse(*base64url_decode(j["payload"].get<std::string>()));
    payload["data"]["reason"] = "forged";
    j["payload"] = base64url_encode(payload.dump());
    forged = j.dump();
  }
  produce(c->bootstrap(), "certledger.events", "forged", forged, {{"position", std::to_string(last + 1)}});
  certledger::testing::wait_until([&] { return (*follower)->stats().halted; }, std::chrono::seconds(10));
  auto after = (*follower)->stats();
  EXPECT_TRUE(after.halted) << "a forged record was not refused";
  EXPECT_NE(after.error.find("position " + std::to_string(last + 1)), std::string::npos) << after.error;
  EXPECT_EQ(r.ledger->store().last_position(), last) << "an unverified record was applied";
  auto stale = (*follower)->stale_for(std::chrono::seconds(60));
  EXPECT_TRUE(stale && stale->find("halted") != std::string::npos) << "a halted replica says it is not live";
  (*follower)->stop();
  follower->reset();

  // Tamper 2: a checkpoint signed by the right key over a wrong root, on a
  // fresh cluster the primary republishes to (without the forged record).
  relay.reset();
  auto c2 = cluster();
  auto r2dir = temp("replica2");
  auto r2 = open(r2dir, true);
  auto log_key = crypto::PrivateKey::load((pdir / "keys" / "log" / "k1.pem").string(), "");
  ASSERT_TRUE(log_key.ok());
  merkle::Checkpoint bad{p.ledger->origin(), 5, sha256("not the root"), {}};
  auto note = merkle::sign_checkpoint(bad, bad.origin, *log_key);
  produce(c2->bootstrap(), "certledger.checkpoints", "x", *note);
  stream::RelayOptions ro;
  ro.kafka = kafka_config(c2->bootstrap());
  ro.origin = p.ledger->origin();
  ro.reset_cursor = true;
  auto relay2 = stream::Relay::start(p.ledger->store(), ro);
  ASSERT_TRUE(relay2.ok());
  auto follower2 = stream::Follower::start(*r2.ledger, follower_options(*p.ledger, c2->bootstrap(), "g2"));
  ASSERT_TRUE(follower2.ok());
  certledger::testing::wait_until([&] { return (*follower2)->stats().halted; }, std::chrono::seconds(20));
  EXPECT_TRUE((*follower2)->stats().halted) << "a checkpoint with a wrong root was accepted";
  EXPECT_NE((*follower2)->stats().error.find("does not match"), std::string::npos) << (*follower2)->stats().error;
  (*follower2)->stop();
  relay2->reset();

  // Tamper 3: the right key, the right tree root, but a map root other than
  // the one the records give: the replica computes its own and halts.
  {
    auto c3 = cluster();
    auto r3dir = temp("replica3");
    auto r3 = open(r3dir, true);
    auto cp = merkle::parse_checkpoint_body(p.ledger->store().checkpoint_at(last).value_or(""));
    ASSERT_TRUE(cp.ok());
    merkle::Checkpoint lie = *cp;
    for (auto& line : lie.extensions)
      if (line.rfind("map-root ", 0) == 0) line = "map-root " + base64_encode(hash_bytes(sha256("another map")));
    auto lie_note = merkle::sign_checkpoint(lie, lie.origin, *log_key);
    ASSERT_TRUE(lie_note.ok());
    std::vector<Message> records;
    for (uint64_t pos = 1; pos <= last; ++pos)
      records.push_back({"k", *p.ledger->store().record_at(pos), {{"position", std::to_string(pos)}}});
    produce_all(c3->bootstrap(), "certledger.events", records);
    produce(c3->bootstrap(), "certledger.checkpoints", "x", *lie_note);
    auto follower3 = stream::Follower::start(*r3.ledger, follower_options(*p.ledger, c3->bootstrap(), "g3"));
    ASSERT_TRUE(follower3.ok());
    certledger::testing::wait_until([&] { return (*follower3)->stats().halted; }, std::chrono::seconds(30));
    EXPECT_TRUE((*follower3)->stats().halted) << "a checkpoint with another map root was accepted";
    EXPECT_NE((*follower3)->stats().error.find("map-root"), std::string::npos) << (*follower3)->stats().error;
    (*follower3)->stop();
    follower3->reset();
    r3.ledger.reset();
    fs::remove_all(r3dir);
  }
  p.ledger.reset();
  r.ledger.reset();
  r2.ledger.reset();
  for (auto& d : {pdir, rdir, r2dir}) fs::remove_all(d);
}

// Unsigned junk on the checkpoints topic (a 20-digit tree size once made
// std::stoull throw and took the replica's process down) halts the
// follower; the process goes on, and the replica says it is not live.
TEST(Kafka, ReplicaHaltsCleanlyOnUnsignedMessages) {
  auto c = cluster();
  auto pdir = temp("junk-primary"), rdir = temp("junk-replica");
  auto p = open(pdir);
  workload(*p.ledger, 5, 9);
  auto r = open(rdir, true);
  produce(c->bootstrap(), "certledger.checkpoints", "x",
          p.ledger->origin() + "\n99999999999999999999\n" + base64_encode(std::string(32, 'r')) +
              "\n\n\xe2\x80\x94 x AAAA\n");
  auto follower = stream::Follower::start(*r.ledger, follower_options(*p.ledger, c->bootstrap(), "junk"));
  ASSERT_TRUE(follower.ok());
  certledger::testing::wait_until([&] { return (*follower)->stats().halted; }, std::chrono::seconds(10));
  auto s = (*follower)->stats();
  EXPECT_TRUE(s.halted);
  EXPECT_NE(s.error.find("checkpoint rejected"), std::string::npos) << s.error;
  EXPECT_TRUE((*follower)->stale_for(std::chrono::seconds(60)).has_value());
  // Sizes are read with bounds even once signed: 2^64 is refused, 2^64 - 1 taken.
  const std::string root = base64_encode(std::string(32, 'r'));
  EXPECT_FALSE(merkle::parse_checkpoint_body("o\n18446744073709551616\n" + root + "\n\n").ok());
  EXPECT_TRUE(merkle::parse_checkpoint_body("o\n18446744073709551615\n" + root + "\n\n").ok());
  (*follower)->stop();
  p.ledger.reset();
  r.ledger.reset();
  for (auto& d : {pdir, rdir}) fs::remove_all(d);
}

// The primary republishes its latest checkpoint while idle, so an idle but
// present primary keeps its replica live; once the primary falls silent the
// replica's newest confirmed checkpoint ages past the bound and it says so.
TEST(Kafka, ReplicaGoesStaleWhenItsPrimaryFallsSilent) {
  auto c = cluster();
  auto pdir = temp("silent-primary"), rdir = temp("silent-replica");
  auto p = open(pdir);
  stream::RelayOptions ro;
  ro.kafka = kafka_config(c->bootstrap());
  ro.origin = p.ledger->origin();
  ro.heartbeat_ms = 300;
  ops::use_status_feed(ro, *p.ledger);
  auto relay = stream::Relay::start(p.ledger->store(), ro);
  ASSERT_TRUE(relay.ok());
  stream::Relay* rp = relay->get();
  p.ledger->add_commit_listener([rp](uint64_t) { rp->notify(); });
  workload(*p.ledger, 20, 10);
  ASSERT_TRUE(p.ledger->sequencer()->checkpoint_now().ok());
  auto r = open(rdir, true);
  auto follower = stream::Follower::start(*r.ledger, follower_options(*p.ledger, c->bootstrap(), "silent"));
  ASSERT_TRUE(follower.ok());
  const auto bound = std::chrono::milliseconds(2000);
  EXPECT_TRUE((*follower)->stale_for(bound).has_value()) << "nothing confirmed yet";
  certledger::testing::wait_until([&] { return !(*follower)->stale_for(bound); }, std::chrono::seconds(20));
  EXPECT_FALSE((*follower)->stale_for(bound)) << "caught up with the primary's checkpoint";
  std::this_thread::sleep_for(std::chrono::milliseconds(3000));  // idle, longer than the bound
  EXPECT_FALSE((*follower)->stale_for(bound)) << "an idle primary's heartbeat keeps the replica live";
  relay->reset();  // the primary falls silent
  EXPECT_TRUE(certledger::testing::wait_until([&] { return (*follower)->stale_for(bound).has_value(); },
                                              std::chrono::seconds(10)));
  auto stale = (*follower)->stale_for(bound);
  ASSERT_TRUE(stale.has_value());
  EXPECT_NE(stale->find("arrived"), std::string::npos) << *stale;
  EXPECT_FALSE((*follower)->stats().halted) << "stale, not halted";
  (*follower)->stop();
  p.ledger.reset();
  r.ledger.reset();
  for (auto& d : {pdir, rdir}) fs::remove_all(d);
}

}  // namespace

// ---- kill -9 of the primary while it relays (cluster in its own process) ----

int relay_child(const std::string& dir, const std::string& bootstrap, bool work) {
  auto l = open(dir);
  auto relay = relay_for(*l.ledger, bootstrap);
  std::printf("READY\n");
  std::fflush(stdout);
  if (!work) {  // drain: deliver the backlog, then exit cleanly
    bool ok = relay->wait_for(l.ledger->store().last_position(), std::chrono::seconds(120));
    relay.reset();
    return ok ? 0 : 1;
  }
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(std::random_device{}());
      demo::SampleGenerator gen(rng());
      const auto auths = demo::demo_authorities();
      for (;;) {
        const auto& a = auths[(t + rng()) % auths.size()];
        domain::CommandInput c;
        c.type = domain::CommandType::issue;
        const auto& kind = domain::all_kinds()[rng() % domain::all_kinds().size()];
        c.kind = std::string(kind.code);
        c.fields = gen.fields(kind, a, china_date(system_now_ms()).plus_days(-3));
        c.actor = {"t", domain::Role::approver, {}};
        auto r = l.ledger->execute(a.code, c);
        if (r.ok()) {
          std::printf("A %llu\n", (unsigned long long)r->record.position);
          std::fflush(stdout);
        }
      }
    });
  for (auto& th : threads) th.join();
  return 0;
}

namespace {

TEST(Kafka, KillingThePrimaryMidRelayLosesAndDuplicatesNothingForTheReplica) {
  const std::string exe = fs::read_symlink("/proc/self/exe").string();
  const std::string mock = (fs::path(exe).parent_path() / "kafka_mock").string();
  // The cluster lives in its own process, as a real one would.
  int to_mock[2], from_mock[2];
  ASSERT_EQ(::pipe(to_mock), 0);
  ASSERT_EQ(::pipe(from_mock), 0);
  pid_t mock_pid = ::fork();
  if (mock_pid == 0) {
    ::dup2(to_mock[0], 0);
    ::dup2(from_mock[1], 1);
    ::close(to_mock[1]);
    ::close(from_mock[0]);
    ::execl(mock.c_str(), mock.c_str(), nullptr);
    ::_exit(127);
  }
  ::close(to_mock[0]);
  ::close(from_mock[1]);
  char buf[512] = {0};
  ssize_t n = ::read(from_mock[0], buf, sizeof buf - 1);
  ASSERT_GT(n, 0);
  std::string bootstrap(buf, static_cast<size_t>(n));
  while (!bootstrap.empty() && bootstrap.back() == '\n') bootstrap.pop_back();

  auto pdir = temp("kill-primary"), rdir = temp("kill-replica");
  {  // authorities first, so the children only issue
    auto l = open(pdir);
    workload(*l.ledger, 5, 9);
  }
  auto spawn = [&](bool work) {
    int fds[2];
    EXPECT_EQ(::pipe(fds), 0);
    pid_t pid = ::fork();
    if (pid == 0) {
      ::dup2(fds[1], 1);
      ::close(fds[0]);
      ::execl(exe.c_str(), exe.c_str(), work ? "relay-child" : "relay-drain", pdir.c_str(), bootstrap.c_str(), nullptr);
      ::_exit(127);
    }
    ::close(fds[1]);
    return std::make_pair(pid, fds[0]);
  };
  std::set<uint64_t> acked;
  std::mt19937 rng(std::random_device{}());
  for (int round = 0; round < 5; ++round) {
    auto [pid, fd] = spawn(true);
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    bool ready = false;
    while (std::chrono::steady_clock::now() < deadline) {
      char chunk[4096];
      ssize_t k = ::read(fd, chunk, sizeof chunk);
      if (k <= 0) break;
      out.append(chunk, static_cast<size_t>(k));
      if (!ready && out.find("READY\n") != std::string::npos) {
        ready = true;
        deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(300 + rng() % 700);
      }
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    ::close(fd);
    std::istringstream in(out);
    std::string tag;
    uint64_t pos;
    while (in >> tag) {
      if (tag == "A" && (in >> pos)) acked.insert(pos);
    }
  }
  ASSERT_GT(acked.size(), 20u);
  auto [dpid, dfd] = spawn(false);
  int status = 0;
  ::waitpid(dpid, &status, 0);
  ::close(dfd);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the drain run could not deliver the backlog";

  auto p = open(pdir);
  const uint64_t last = p.ledger->store().last_position();
  for (uint64_t a : acked) EXPECT_LE(a, last);
  auto r = open(rdir, true);
  auto follower = stream::Follower::start(*r.ledger, follower_options(*p.ledger, bootstrap, "g-kill"));
  ASSERT_TRUE(follower.ok());
  ASSERT_TRUE((*follower)->wait_for(last, std::chrono::seconds(120))) << (*follower)->stats().error;
  EXPECT_FALSE((*follower)->stats().halted);
  auto a = dump(p.ledger->store(), kCompared), b = dump(r.ledger->store(), kCompared);
  for (const auto& cf : kCompared) EXPECT_TRUE(a[cf] == b[cf]) << cf << " differs";
  std::printf("kill test: %zu acknowledged, %llu in the log, replica applied all, %llu duplicates dropped\n",
              acked.size(), (unsigned long long)last, (unsigned long long)(*follower)->stats().duplicates);
  (*follower)->stop();
  ::close(to_mock[1]);
  ::waitpid(mock_pid, nullptr, 0);
  p.ledger.reset();
  r.ledger.reset();
  fs::remove_all(pdir);
  fs::remove_all(rdir);
}

}  // namespace
}  // namespace certledger
