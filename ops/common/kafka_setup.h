// Wiring of Kafka into ledgerd: the embedded cluster or a real one, the
// outbox relay (with the status topic fed from the projections), or, in
// replica mode, the verifying follower.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>

#include "ops/common/config.h"
#include "ops/common/setup.h"
#include "api/metrics.h"
#include "ledger/ledger.h"
#include "ledger/stream/follower.h"
#include "ledger/stream/relay.h"

namespace certledger::ops {

struct KafkaRuntime {
  std::unique_ptr<stream::EmbeddedCluster> cluster;
  std::unique_ptr<stream::Relay> relay;
  std::unique_ptr<stream::Follower> follower;
  std::string bootstrap;
  nlohmann::json status() const;
  // A replica's reason not to present its data as live (Follower::stale_for
  // with the configured bound); nullopt on a primary or a current replica.
  std::optional<std::string> stale_reason() const;
  std::chrono::milliseconds max_staleness{60000};
  void add_metrics(api::Metrics& m) const;
  void stop();
};

// The status topic's message for a certificate event (doc/kafka_topics.md):
// the certificate's status right after it, as projections::StatusFeed hands
// it to the relay. nullopt for events that are not certificate events.
std::optional<std::string> status_message(const Ledger& ledger, const domain::RecordEnvelope& e);
// Points the relay at the status feed (projections::StatusFeed).
void use_status_feed(stream::RelayOptions& options, const Ledger& ledger);

// checkpoint_ready: the relay's gate (RelayOptions::checkpoint_ready), e.g.
// the cosigner's. A replica follows `follow` (its trust file's log, or a
// federation member's), which it must be given.
Result<std::unique_ptr<KafkaRuntime>> start_kafka(
    Ledger& ledger, const Config& config,
    std::function<bool(uint64_t size, const std::string& note)> checkpoint_ready = {},
    const TrustedLog* follow = nullptr);

}  // namespace certledger::ops
