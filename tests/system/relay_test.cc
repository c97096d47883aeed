// The relay on its own, against real brokers (librdkafka's mock cluster),
// read back with kcat: the status messages it carries come from the
// StatusSource it is given (nothing else), and a relay started again on the
// same store goes on from the cursor the last one persisted.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "tests/system/shell.h"
#include "ledger/status_source.h"
#include "ledger/stream/kafka.h"
#include "ledger/stream/relay.h"
#include "ops/common/setup.h"
#include "ops/demo/samples.h"

namespace certledger {
namespace {

namespace fs = std::filesystem;

using certledger::testing::run;

// key -> values, in topic order per partition, of a whole topic.
std::multimap<std::string, std::string> kcat(const std::string& bootstrap, const std::string& topic) {
  std::istringstream in(run("kcat -b '" + bootstrap + "' -t " + topic + " -C -e -q -f '%k\\t%s\\n' 2>/dev/null"));
  std::multimap<std::string, std::string> out;
  for (std::string line; std::getline(in, line);)
    if (auto tab = line.find('\t'); tab != std::string::npos) out.emplace(line.substr(0, tab), line.substr(tab + 1));
  return out;
}

struct World {
  fs::path dir = fs::temp_directory_path() / ("certledger-relay-" + std::to_string(::getpid()));
  ops::OpenLedger l;
  std::unique_ptr<stream::EmbeddedCluster> cluster;

  World() {
    fs::remove_all(dir);
    ops::OpenOptions o;
    o.data_dir = dir.string();
    o.create = true;
    auto opened = ops::open_data_dir(o);
    EXPECT_TRUE(opened.ok());
    l = std::move(*opened);
    auto c = stream::EmbeddedCluster::start(1);
    EXPECT_TRUE(c.ok());
    cluster = std::move(*c);
    for (const char* t : {"certledger.events", "certledger.status", "certledger.checkpoints"})
      EXPECT_TRUE(cluster->create_topic(t, 1).ok());
    const auto a = demo::demo_authorities()[0];
    EXPECT_TRUE(l.ledger->register_authority(a, crypto::KeyAlg::ed25519, "t").ok());
  }
  ~World() {
    l.ledger.reset();
    fs::remove_all(dir);
  }
  void issue(int n, uint64_t seed) {
    const auto a = demo::demo_authorities()[0];
    demo::SampleGenerator gen(seed);
    for (int i = 0; i < n; ++i) {
      auto r = l.ledger->execute(
          a.code, demo::sample_issue(gen, *domain::find_kind("safety_license"), a, china_date(system_now_ms()), "t"));
      ASSERT_TRUE(r.ok()) << r.error().to_string();
    }
  }
  std::unique_ptr<stream::Relay> relay(std::shared_ptr<const StatusSource> status) {
    stream::RelayOptions ro;
    ro.kafka.bootstrap = cluster->bootstrap();
    ro.kafka.prefix = "certledger";
    ro.origin = l.ledger->origin();
    ro.status = std::move(status);
    ro.heartbeat_ms = 0;
    auto r = stream::Relay::start(l.ledger->store(), ro);
    EXPECT_TRUE(r.ok());
    return std::move(*r);
  }
};

// Says "status of <position>" for certificate events at even positions.
class EvenPositions : public StatusSource {
 public:
  class Even : public Stretch {
   public:
    std::string_view message(const domain::RecordEnvelope& e) override {
      if (e.event.type.rfind("certificate.", 0) != 0 || e.position % 2) return {};
      text_ = "status of " + std::to_string(e.position);
      return text_;
    }

   private:
    std::string text_;
  };
  std::unique_ptr<Stretch> read(uint64_t from, uint64_t to) const override {
    stretches.emplace_back(from, to);
    return std::make_unique<Even>();
  }
  mutable std::vector<std::pair<uint64_t, uint64_t>> stretches;
};

TEST(Relay, CarriesTheStatusSourcesMessagesAndNothingElse) {
  if (run("command -v kcat").empty()) GTEST_SKIP() << "kcat is not installed";
  World w;
  w.issue(12, 1);
  auto source = std::make_shared<EvenPositions>();
  auto relay = w.relay(source);
  const uint64_t last = w.l.ledger->store().last_position();
  ASSERT_TRUE(relay->wait_for(last, std::chrono::seconds(30)));
  relay->stop();

  std::set<std::string> expected;
  for (uint64_t p = 1; p <= last; ++p) {
    auto e = domain::decode_envelope(p, *w.l.ledger->store().record_at(p));
    ASSERT_TRUE(e.ok());
    if (e->event.type.rfind("certificate.", 0) == 0 && p % 2 == 0) expected.insert("status of " + std::to_string(p));
  }
  ASSERT_FALSE(expected.empty());
  std::set<std::string> got;
  for (const auto& [key, value] : kcat(w.cluster->bootstrap(), "certledger.status")) {
    EXPECT_EQ(key.size(), 26u) << "keyed by the certificate id: " << key;
    got.insert(value);
  }
  EXPECT_EQ(got, expected);
  ASSERT_FALSE(source->stretches.empty());
  for (const auto& [from, to] : source->stretches) EXPECT_LE(from, to);
  EXPECT_EQ(source->stretches.front().first, 1u);
}

TEST(Relay, AStartedAgainRelayGoesOnFromThePersistedCursor) {
  if (run("command -v kcat").empty()) GTEST_SKIP() << "kcat is not installed";
  World w;
  w.issue(5, 2);
  const uint64_t first_last = w.l.ledger->store().last_position();
  {
    auto relay = w.relay(nullptr);
    ASSERT_TRUE(relay->wait_for(first_last, std::chrono::seconds(30)));
    relay->stop();
  }
  EXPECT_EQ(w.l.ledger->store().relay_cursor().events, first_last);
  w.issue(5, 3);
  const uint64_t last = w.l.ledger->store().last_position();
  auto relay = w.relay(nullptr);
  EXPECT_GE(relay->stats().cursor, first_last) << "starts from the persisted cursor";
  ASSERT_TRUE(relay->wait_for(last, std::chrono::seconds(30)));
  relay->stop();
  EXPECT_EQ(w.l.ledger->store().relay_cursor().events, last);
  // Every record is on the topic; those the first relay confirmed once.
  std::map<std::string, int> copies;
  for (const auto& [key, value] : kcat(w.cluster->bootstrap(), "certledger.events")) ++copies[value];
  for (uint64_t p = 1; p <= last; ++p) {
    const std::string record = *w.l.ledger->store().record_at(p);
    EXPECT_GE(copies[record], 1) << "position " << p << " missing";
    if (p <= first_last) {
      EXPECT_EQ(copies[record], 1) << "position " << p << " sent again";
    }
  }
  EXPECT_TRUE(kcat(w.cluster->bootstrap(), "certledger.status").empty()) << "no status source, no status topic";
}

}  // namespace
}  // namespace certledger
