// Kafka plumbing over librdkafka's C API: topic names, client configuration,
// topic creation on a real cluster, and the embedded cluster (librdkafka's
// mock cluster: real brokers speaking the Kafka protocol on 127.0.0.1 ports,
// in this process). doc/kafka_topics.md describes the topics.
#pragma once

#include <librdkafka/rdkafka.h>

#include <map>
#include <memory>
#include <string>

#include "ledger/util/result.h"

typedef struct rd_kafka_mock_cluster_s rd_kafka_mock_cluster_t;

namespace certledger::stream {

struct KafkaConfig {
  std::string bootstrap;  // host:port,...
  std::string prefix = "certledger";
  std::map<std::string, std::string> properties;  // passed through (TLS/SASL, tuning)
  int partitions = 6;
  int replication = 3;
  std::string events_topic() const { return prefix + ".events"; }
  std::string status_topic() const { return prefix + ".status"; }
  std::string checkpoints_topic() const { return prefix + ".checkpoints"; }
  std::string keys_topic() const { return prefix + ".keys"; }
};

struct KafkaHandleDeleter {
  void operator()(rd_kafka_t* rk) const;
};
using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaHandleDeleter>;

// A configuration with bootstrap.servers and the pass-through properties set.
Result<rd_kafka_conf_t*> make_conf(const KafkaConfig& k, const std::map<std::string, std::string>& extra);

// Creates the three topics if missing (events and checkpoints with
// `partitions`; status compacted). Works on real clusters and the mock.
Status ensure_topics(const KafkaConfig& k);

class EmbeddedCluster {
 public:
  static Result<std::unique_ptr<EmbeddedCluster>> start(int brokers = 3);
  ~EmbeddedCluster();
  const std::string& bootstrap() const { return bootstrap_; }
  Status create_topic(const std::string& name, int partitions);
  Status set_broker_down(int broker_id);  // 1..brokers
  Status set_broker_up(int broker_id);
  int brokers() const { return brokers_; }

 private:
  EmbeddedCluster() = default;
  KafkaHandle owner_;
  rd_kafka_mock_cluster_t* mock_ = nullptr;
  std::string bootstrap_;
  int brokers_ = 0;
};

}  // namespace certledger::stream
