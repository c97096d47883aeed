#include "ops/common/kafka_setup.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>

#include "ledger/util/encoding.h"
#include "ops/common/personal.h"
#include "ops/common/setup.h"
#include "projections/projections.h"
#include "projections/queries.h"
#include "projections/status_feed.h"

namespace certledger::ops {

using nlohmann::json;

std::optional<std::string> status_message(const Ledger& ledger, const domain::RecordEnvelope& e) {
  auto stretch = projections::StatusFeed(ledger).read(e.position, e.position);
  const std::string_view m = stretch->message(e);  // valid while the stretch lives
  if (m.empty()) return std::nullopt;
  return std::string(m);
}

void use_status_feed(stream::RelayOptions& options, const Ledger& ledger) {
  options.status = std::make_shared<projections::StatusFeed>(ledger);
}

json KafkaRuntime::status() const {
  json j = {{"bootstrap", bootstrap}, {"embedded", cluster != nullptr}};
  if (relay) {
    auto s = relay->stats();
    j["relay"] = {{"cursor", s.cursor},
                  {"lag_events", s.lag_events},
                  {"lag_seconds", s.lag_seconds},
                  {"errors", s.errors},
                  {"last_error", s.last_error}};
  }
  if (follower) {
    auto s = follower->stats();
    j["replica"] = {{"applied", s.applied},
                    {"buffered", s.buffered},
                    {"checkpoints", s.checkpoints},
                    {"newest_checkpoint", s.newest_checkpoint},
                    {"halted", s.halted},
                    {"error", s.error},
                    {"checkpoints_below_quorum", s.below_quorum}};
    if (s.caught_up_at)
      j["replica"]["caught_up_seconds_ago"] =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - *s.caught_up_at).count();
  }
  return j;
}

std::optional<std::string> KafkaRuntime::stale_reason() const {
  return follower ? follower->stale_for(max_staleness) : std::nullopt;
}

void KafkaRuntime::add_metrics(api::Metrics& m) const {
  m.add_writer([this](std::string& out) {
    if (relay) {
      auto s = relay->stats();
      api::Metrics::gauge(out, "certledger_relay_cursor", "Last position confirmed delivered to Kafka.",
                          double(s.cursor));
      api::Metrics::gauge(out, "certledger_relay_lag_events", "Events not yet confirmed by Kafka.",
                          double(s.lag_events));
      api::Metrics::gauge(out, "certledger_relay_lag_seconds", "Age of the oldest unconfirmed event.", s.lag_seconds);
      api::Metrics::gauge(out, "certledger_relay_errors_total", "Failed deliveries and producer restarts.",
                          double(s.errors), "counter");
    }
    if (follower) {
      auto s = follower->stats();
      api::Metrics::gauge(out, "certledger_replica_applied_position", "Last verified and applied position.",
                          double(s.applied));
      api::Metrics::gauge(out, "certledger_replica_buffered", "Records received ahead of a gap.", double(s.buffered));
      api::Metrics::gauge(out, "certledger_replica_halted", "1 if verification failed and the replica stopped.",
                          s.halted ? 1 : 0);
      api::Metrics::gauge(out, "certledger_replica_checkpoints_below_quorum_total",
                          "Checkpoints that matched the records but lacked the witness quorum (not stored).",
                          double(s.below_quorum), "counter");
      api::Metrics::gauge(out, "certledger_replica_stale", "1 if public status answers are refused as not live.",
                          follower->stale_for(max_staleness) ? 1 : 0);
    }
  });
}

void KafkaRuntime::stop() {
  if (follower) follower->stop();
  if (relay) relay->stop();
  follower.reset();
  relay.reset();
  cluster.reset();
}

Result<std::unique_ptr<KafkaRuntime>> start_kafka(Ledger& ledger, const Config& c,
                                                  std::function<bool(uint64_t, const std::string&)> checkpoint_ready,
                                                  const TrustedLog* follow) {
  auto rt = std::make_unique<KafkaRuntime>();
  rt->max_staleness = std::chrono::milliseconds(c.replica_max_staleness_ms);
  if (c.kafka == "off") return rt;
  if (c.replica && !follow) return make_error(Errc::internal, "a replica's Kafka needs the log it follows");
  stream::KafkaConfig k;
  k.prefix = c.kafka_prefix;
  k.properties = c.kafka_properties;
  if (follow && !follow->kafka_bootstrap.empty()) {  // this log's own cluster
    k.bootstrap = follow->kafka_bootstrap;
    if (!follow->kafka_prefix.empty()) k.prefix = follow->kafka_prefix;
  } else if (c.kafka == "embedded") {
    CL_ASSIGN(rt->cluster, stream::EmbeddedCluster::start(3));
    k.bootstrap = rt->cluster->bootstrap();
    CL_TRY(rt->cluster->create_topic(k.events_topic(), k.partitions));
    CL_TRY(rt->cluster->create_topic(k.status_topic(), k.partitions));
    CL_TRY(rt->cluster->create_topic(k.checkpoints_topic(), 1));
    CL_TRY(rt->cluster->create_topic(k.keys_topic(), k.partitions));
    std::ofstream(std::filesystem::path(c.data_dir) / "kafka.bootstrap") << k.bootstrap << "\n";
    spdlog::info("embedded Kafka (3 brokers) at {}; try: kcat -b \"$(cat {}/kafka.bootstrap)\" -t {} -C", k.bootstrap,
                 c.data_dir, k.events_topic());
  } else {
    k.bootstrap = c.kafka;
    if (!c.replica) {
      auto st = stream::ensure_topics(k);
      if (!st.ok()) spdlog::warn("Kafka topics: {} (the relay keeps trying)", st.error().message);
    }
  }
  rt->bootstrap = k.bootstrap;
  if (c.replica) {
    stream::FollowerOptions fo{k, c.replica_group, follow->origin, follow->key, std::nullopt, {}};
    if (follow->quorum()) fo.quorum = *follow->quorum();
    if (!c.personal_data_name.empty()) {
      fo.on_key = [&ledger, name = c.personal_data_name](std::string_view holder, std::optional<std::string_view> v) {
        if (auto st = receive_key(ledger, name, holder, v); !st.ok())
          spdlog::warn("keys topic: holder {}: {}", holder, st.error().message);
      };
      spdlog::info("entitled to personal data as {}: reading {}", c.personal_data_name, k.keys_topic());
    }
    CL_ASSIGN(rt->follower, stream::Follower::start(ledger, std::move(fo)));
    spdlog::info("replica following {} on {} (topics {}.*, group {}), witness quorum {}", follow->origin, k.bootstrap,
                 k.prefix, c.replica_group, follow->quorum() ? follow->quorum()->describe() : "none");
    return rt;
  }
  stream::RelayOptions ro;
  ro.kafka = k;
  ro.origin = ledger.origin();
  ro.reset_cursor = rt->cluster != nullptr;  // a new embedded cluster starts empty
  ro.heartbeat_ms = c.checkpoint_heartbeat_ms;
  ro.checkpoint_ready = std::move(checkpoint_ready);
  use_status_feed(ro, ledger);
  if (!c.personal_data_recipients.empty()) {
    CL_ASSIGN(auto recipients, read_recipients(c.personal_data_recipients));
    spdlog::info("personal data keys for {} recipient(s) on {}", recipients.size(), k.keys_topic());
    ro.keys = std::make_shared<HolderKeyPublisher>(ledger, std::move(recipients));
  }
  CL_ASSIGN(rt->relay, stream::Relay::start(ledger.store(), std::move(ro)));
  stream::Relay* relay = rt->relay.get();
  ledger.add_commit_listener([relay](uint64_t) { relay->notify(); });
  return rt;
}

}  // namespace certledger::ops
