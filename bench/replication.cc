// replication: relay throughput into Kafka (events/s), against the same
// run's raw librdkafka produce rate of the same records; and end-to-end
// latency from the append acknowledgement to the event being readable in a
// replica's projection (p50/p99), on the embedded cluster. Targets:
// >= 100k events/s relay, p99 < 50 ms.
#include <algorithm>
#include <thread>

#include "bench/common.h"
#include "ops/demo/samples.h"
#include "ledger/stream/follower.h"
#include "ledger/stream/relay.h"
#include "ledger/crypto/jws.h"
#include "ops/common/kafka_setup.h"
#include "ops/common/setup.h"
#include "projections/queries.h"

using namespace certledger;

namespace {

ops::OpenLedger open(const std::filesystem::path& dir, bool replica) {
  ops::OpenOptions o;
  o.data_dir = dir.string();
  o.create = true;
  o.replica = replica;
  o.policy.checkpoint_every = 100000;
  o.policy.checkpoint_interval_ms = 1000;
  auto l = ops::open_data_dir(o);
  if (!l.ok()) {
    std::fprintf(stderr, "%s\n", l.error().to_string().c_str());
    std::exit(3);
  }
  return std::move(*l);
}

void fill(Ledger& l, int n) {
  auto a = demo::demo_authorities()[0];
  if (!l.authority(a.code)) (void)l.register_authority(a, crypto::KeyAlg::ed25519, "b");
  std::vector<std::thread> ts;
  std::atomic<int> next{0};
  for (int t = 0; t < 64; ++t)
    ts.emplace_back([&, t] {
      demo::SampleGenerator gen(t);
      for (int i; (i = next++) < n;) {
        auto c = demo::sample_issue(gen, *domain::find_kind("testing_institution"), a, Date{2026, 1, 5}, "b");
        c.fields["number"] = std::string("R").append(std::to_string(i));
        (void)l.execute(a.code, c);
      }
    });
  for (auto& t : ts) t.join();
}

}  // namespace

int main(int argc, char** argv) {
  // The embedded (mock) cluster keeps ~5 MB per partition, so a replica can
  // only catch up on logs that fit; 40k events do.
  const int n = argc > 1 ? std::atoi(argv[1]) : 40000;
  std::printf("# replication — %s\n", bench::machine_description().c_str());
  auto cluster = stream::EmbeddedCluster::start(3);
  for (auto [t, p] :
       {std::pair{"certledger.events", 6}, std::pair{"certledger.status", 6}, std::pair{"certledger.checkpoints", 1}})
    (void)(*cluster)->create_topic(t, p);
  auto pdir = bench::temp_dir("primary"), rdir = bench::temp_dir("replica");
  auto p = open(pdir, false);
  fill(*p.ledger, n);
  const uint64_t last = p.ledger->store().last_position();
  std::printf("log of %llu events built\n", (unsigned long long)last);

  // Reference: librdkafka producing the same record bytes with the same
  // headers and settings, nothing else. Both rates are steady state: timed
  // from the delivery of the first tenth to the last, so the producer's
  // start (metadata, producer id: ~0.7 s on the mock cluster) is left out.
  const uint64_t warm = last / 10;
  double raw_rate = 0;
  {
    stream::KafkaConfig k;
    k.bootstrap = (*cluster)->bootstrap();
    k.prefix = "reference";
    (void)(*cluster)->create_topic("reference.events", 6);
    auto conf = stream::make_conf(k, {{"enable.idempotence", "true"},
                                      {"acks", "all"},
                                      {"linger.ms", "5"},
                                      {"compression.type", "lz4"},
                                      {"queue.buffering.max.messages", "1000000"}});
    struct Clock {
      std::atomic<uint64_t> delivered{0};
      uint64_t warm = 0;
      std::chrono::steady_clock::time_point t_warm;
    } clock;
    clock.warm = warm;
    rd_kafka_conf_set_opaque(*conf, &clock);
    rd_kafka_conf_set_dr_msg_cb(*conf, [](rd_kafka_t*, const rd_kafka_message_t*, void* o) {
      auto* c = static_cast<Clock*>(o);
      if (++c->delivered == c->warm) c->t_warm = std::chrono::steady_clock::now();
    });
    char err[256];
    stream::KafkaHandle rk(rd_kafka_new(RD_KAFKA_PRODUCER, *conf, err, sizeof err));
    std::vector<std::pair<std::string, std::string>> recs;
    (void)p.ledger->store().scan(1, 0, [&](uint64_t pos, std::string_view r) {
      recs.emplace_back(std::to_string(pos), std::string(r));
      return true;
    });
    const std::string origin = p.ledger->origin();
    for (auto& [key, rec] : recs) {
      rd_kafka_headers_t* h = rd_kafka_headers_new(6);
      for (const char* name : {"position", "type", "authority", "v", "kid"})
        rd_kafka_header_add(h, name, -1, key.data(), static_cast<ssize_t>(key.size()));
      rd_kafka_header_add(h, "origin", -1, origin.data(), static_cast<ssize_t>(origin.size()));
      while (rd_kafka_producev(rk.get(), RD_KAFKA_V_TOPIC("reference.events"), RD_KAFKA_V_KEY(key.data(), key.size()),
                               RD_KAFKA_V_VALUE(rec.data(), rec.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                               RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_END))
        rd_kafka_poll(rk.get(), 1);
      rd_kafka_poll(rk.get(), 0);
    }
    rd_kafka_flush(rk.get(), 120000);
    raw_rate =
        (recs.size() - warm) / std::chrono::duration<double>(std::chrono::steady_clock::now() - clock.t_warm).count();
  }
  // The relay, from an empty cursor.
  stream::RelayOptions ro;
  ro.kafka.bootstrap = (*cluster)->bootstrap();
  ro.origin = p.ledger->origin();
  ops::use_status_feed(ro, *p.ledger);
  auto relay = stream::Relay::start(p.ledger->store(), ro);
  (*relay)->wait_for(warm, std::chrono::minutes(10));
  auto t0 = std::chrono::steady_clock::now();
  if (!(*relay)->wait_for(last, std::chrono::minutes(10))) {
    std::fprintf(stderr, "relay stalled at %llu of %llu: %s\n", (unsigned long long)(*relay)->stats().cursor,
                 (unsigned long long)last, (*relay)->stats().last_error.c_str());
    return 3;
  }
  const double relay_rate =
      (last - warm) / std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  bench::print_ratio("relay events/s (with status topic)", relay_rate, "events/s", "raw librdkafka produce", raw_rate);
  bench::print_ratio("relay events/s (with status topic)", relay_rate, "events/s", "target", 100000, 1.0);

  // End-to-end: append ack -> readable in the replica's projection.
  auto r = open(rdir, true);
  auto log_key = *crypto::PublicKey::from_jwk(
      nlohmann::json::parse(crypto::jws_parse(*p.ledger->store().record_at(1))->payload)["data"]["jwk"]);
  auto follower = stream::Follower::start(*r.ledger, {ro.kafka, "bench", p.ledger->origin(), log_key, std::nullopt, {}});
  auto tf = std::chrono::steady_clock::now();
  if (!(*follower)->wait_for(last, std::chrono::minutes(10))) {
    auto fs = (*follower)->stats();
    std::fprintf(stderr, "replica stalled at %llu of %llu (halted %d): %s\n", (unsigned long long)fs.applied,
                 (unsigned long long)last, fs.halted, fs.error.c_str());
    return 3;
  }
  std::printf("replica caught up with %llu events in %.1fs\n", (unsigned long long)last,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - tf).count());
  std::fflush(stdout);
  stream::Relay* rp = relay->get();
  p.ledger->add_commit_listener([rp](uint64_t) { rp->notify(); });
  std::vector<double> lat;
  demo::SampleGenerator gen(999);
  auto a = demo::demo_authorities()[0];
  projections::Reader reader(r.ledger->store());
  for (int i = 0; i < 300; ++i) {
    domain::CommandInput c;
    c.type = domain::CommandType::issue;
    c.kind = "design";
    c.fields = gen.fields(*domain::find_kind("design"), a, Date{2026, 1, 5});
    c.fields["number"] = "A244" + std::to_string(10000 + i) + "0";
    c.actor = {"b", domain::Role::approver, {}};
    auto out = p.ledger->execute(a.code, c);
    if (!out.ok()) {
      std::fprintf(stderr, "%s\n", out.error().to_string().c_str());
      return 3;
    }
    auto acked = std::chrono::steady_clock::now();
    while (!reader.certificate(out->state.id).ok()) std::this_thread::sleep_for(std::chrono::microseconds(200));
    lat.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - acked).count());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::sort(lat.begin(), lat.end());
  const double p50 = lat[lat.size() / 2], p99 = lat[lat.size() * 99 / 100];
  std::printf("%-44s %9.2f ms | %9.2f ms p99 (target p99 < 50 ms: %s)\n", "ack -> replica projection, p50", p50, p99,
              p99 < 50 ? "met" : "NOT met");
  (*follower)->stop();
  (*relay)->stop();
  return 0;
}
