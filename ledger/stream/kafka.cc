#include "ledger/stream/kafka.h"

#include <librdkafka/rdkafka_mock.h>

#include <vector>

namespace certledger::stream {

void KafkaHandleDeleter::operator()(rd_kafka_t* rk) const {
  if (rk) rd_kafka_destroy(rk);
}

Result<rd_kafka_conf_t*> make_conf(const KafkaConfig& k, const std::map<std::string, std::string>& extra) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  auto set = [&](const std::string& key, const std::string& value) -> Status {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
      return make_error(Errc::invalid_argument, "Kafka property " + key + ": " + err);
    return {};
  };
  Status st = set("bootstrap.servers", k.bootstrap);
  for (const auto& [key, v] : extra)
    if (st.ok()) st = set(key, v);
  for (const auto& [key, v] : k.properties)
    if (st.ok()) st = set(key, v);  // the operator's settings win
  if (!st.ok()) {
    rd_kafka_conf_destroy(conf);
    return st.error();
  }
  return conf;
}

Status ensure_topics(const KafkaConfig& k) {
  CL_ASSIGN(rd_kafka_conf_t * conf, make_conf(k, {}));
  char err[512];
  KafkaHandle rk(rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err));
  if (!rk) return make_error(Errc::unavailable, std::string("Kafka client: ") + err);
  struct Spec {
    std::string name;
    int partitions;
    bool compacted;
  };
  std::vector<Spec> specs = {{k.events_topic(), k.partitions, false},
                             {k.status_topic(), k.partitions, true},
                             {k.checkpoints_topic(), 1, false},
                             {k.keys_topic(), k.partitions, true}};
  std::vector<rd_kafka_NewTopic_t*> topics;
  for (const auto& s : specs) {
    rd_kafka_NewTopic_t* t = rd_kafka_NewTopic_new(s.name.c_str(), s.partitions, k.replication, err, sizeof err);
    if (!t) return make_error(Errc::invalid_argument, err);
    if (s.compacted) rd_kafka_NewTopic_set_config(t, "cleanup.policy", "compact");
    // Records are never deleted by age: the events topic is the log.
    if (!s.compacted) rd_kafka_NewTopic_set_config(t, "retention.ms", "-1");
    topics.push_back(t);
  }
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk.get());
  rd_kafka_AdminOptions_t* opts = rd_kafka_AdminOptions_new(rk.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_operation_timeout(opts, 10000, err, sizeof err);
  rd_kafka_CreateTopics(rk.get(), topics.data(), topics.size(), opts, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 15000);
  Status result;
  if (!ev) {
    result = make_error(Errc::unavailable, "Kafka: no answer to CreateTopics from " + k.bootstrap);
  } else if (rd_kafka_event_error(ev)) {
    result = make_error(Errc::unavailable, std::string("Kafka CreateTopics: ") + rd_kafka_event_error_string(ev));
  } else {
    const rd_kafka_CreateTopics_result_t* res = rd_kafka_event_CreateTopics_result(ev);
    size_t n = 0;
    const rd_kafka_topic_result_t** tr = rd_kafka_CreateTopics_result_topics(res, &n);
    for (size_t i = 0; i < n && result.ok(); ++i) {
      auto e = rd_kafka_topic_result_error(tr[i]);
      if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
        result = make_error(Errc::unavailable, std::string("Kafka topic ") + rd_kafka_topic_result_name(tr[i]) + ": " +
                                                   rd_kafka_err2str(e));
    }
  }
  if (ev) rd_kafka_event_destroy(ev);
  rd_kafka_AdminOptions_destroy(opts);
  rd_kafka_queue_destroy(q);
  rd_kafka_NewTopic_destroy_array(topics.data(), topics.size());
  return result;
}

Result<std::unique_ptr<EmbeddedCluster>> EmbeddedCluster::start(int brokers) {
  std::unique_ptr<EmbeddedCluster> c(new EmbeddedCluster());
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
  c->owner_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err));
  if (!c->owner_) return make_error(Errc::unavailable, std::string("embedded Kafka: ") + err);
  c->mock_ = rd_kafka_mock_cluster_new(c->owner_.get(), brokers);
  if (!c->mock_) return make_error(Errc::unavailable, "embedded Kafka: cannot start the mock cluster");
  c->bootstrap_ = rd_kafka_mock_cluster_bootstraps(c->mock_);
  c->brokers_ = brokers;
  return c;
}

EmbeddedCluster::~EmbeddedCluster() {
  if (mock_) rd_kafka_mock_cluster_destroy(mock_);
}

Status EmbeddedCluster::create_topic(const std::string& name, int partitions) {
  auto e = rd_kafka_mock_topic_create(mock_, name.c_str(), partitions, std::min(3, brokers_));
  if (e) return make_error(Errc::unavailable, std::string("mock topic ") + name + ": " + rd_kafka_err2str(e));
  return {};
}

Status EmbeddedCluster::set_broker_down(int id) {
  auto e = rd_kafka_mock_broker_set_down(mock_, id);
  if (e) return make_error(Errc::invalid_argument, rd_kafka_err2str(e));
  return {};
}

Status EmbeddedCluster::set_broker_up(int id) {
  auto e = rd_kafka_mock_broker_set_up(mock_, id);
  if (e) return make_error(Errc::invalid_argument, rd_kafka_err2str(e));
  return {};
}

}  // namespace certledger::stream
