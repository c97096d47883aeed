// A replica that follows several ledgers (a national view of provincial
// logs): each log of the trust file is a replica of its own in
// <data>/logs/<name>/ (its own RocksDB, projections, follower on its own
// brokers and topics, verify cache and proofs), and one api::Federation in
// front answers for all of them. With witness_name set, the server also
// witnesses every log it follows (C2SP tlog-witness), checking each
// checkpoint against the records it verified for that log, its state in
// <data>/witness/.
#pragma once

#include <memory>
#include <vector>

#include "api/federation.h"
#include "api/metrics.h"
#include "api/service.h"
#include "api/tokens.h"
#include "ledger/witness.h"
#include "ops/common/config.h"
#include "ops/common/kafka_setup.h"
#include "ops/common/setup.h"

namespace certledger::ops {

struct FederatedLog {
  explicit FederatedLog(TrustedLog l) : log(std::move(l)) {}
  TrustedLog log;
  OpenLedger opened;
  api::Metrics metrics;
  std::unique_ptr<KafkaRuntime> kafka;
  std::unique_ptr<api::Service> service;
};

struct FederationRuntime {
  std::vector<std::unique_ptr<FederatedLog>> logs;
  std::unique_ptr<store::EventStore> witness_store;
  std::unique_ptr<Witness> witness;
  api::Metrics shared;  // the witness's families
  std::unique_ptr<api::Federation> front;
  // Stops the followers; then the services and stores may go.
  void stop();
  ~FederationRuntime();
};

// The data dir of a followed log: <data>/logs/<name>.
std::string federated_data_dir(const std::string& data_dir, const TrustedLog& log);

Result<std::unique_ptr<FederationRuntime>> open_federation(const Config& config, std::vector<TrustedLog> logs,
                                                           api::TokenStore& tokens);

}  // namespace certledger::ops
