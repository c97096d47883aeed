#include "ops/common/kafka_audit.h"

#include <chrono>
#include <map>
#include <unordered_map>

#include "projections/state_map.h"
#include "ledger/audit.h"
#include "ledger/domain/certificate.h"
#include "ledger/ledger.h"
#include "ledger/util/encoding.h"
#include "ledger/util/json.h"

namespace certledger::ops {

using nlohmann::json;

namespace {

// Reads a whole topic from the beginning to its current end.
Status read_topic(const stream::KafkaConfig& k, const std::string& topic,
                  const std::function<void(const rd_kafka_message_t*)>& fn) {
  CL_ASSIGN(rd_kafka_conf_t * conf, stream::make_conf(k, {{"group.id", "certledger-audit"},
                                                          {"enable.auto.commit", "false"},
                                                          {"enable.partition.eof", "true"},
                                                          {"log_level", "3"}}));
  char err[512];
  stream::KafkaHandle c(rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err));
  if (!c) return make_error(Errc::unavailable, err);
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_topic_t* t = rd_kafka_topic_new(c.get(), topic.c_str(), nullptr);
  auto e = rd_kafka_metadata(c.get(), 0, t, &md, 10000);
  rd_kafka_topic_destroy(t);
  if (e || !md || md->topic_cnt != 1 || md->topics[0].err)
    return make_error(Errc::unavailable, "cannot read the metadata of " + topic);
  const int parts = md->topics[0].partition_cnt;
  rd_kafka_metadata_destroy(md);
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(parts);
  for (int p = 0; p < parts; ++p)
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_assign(c.get(), list);
  rd_kafka_topic_partition_list_destroy(list);
  int at_end = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(10);
  while (at_end < parts) {
    if (std::chrono::steady_clock::now() > deadline) return make_error(Errc::unavailable, "timed out reading " + topic);
    rd_kafka_message_t* m = rd_kafka_consumer_poll(c.get(), 1000);
    if (!m) continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) ++at_end;
    else if (!m->err) fn(m);
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(c.get());
  return {};
}

std::optional<std::string> header(const rd_kafka_message_t* m, const char* name) {
  rd_kafka_headers_t* h = nullptr;
  const void* v = nullptr;
  size_t n = 0;
  if (rd_kafka_message_headers(m, &h) || rd_kafka_header_get_last(h, name, &v, &n)) return std::nullopt;
  return std::string(static_cast<const char*>(v), n);
}

// The status topic must say what the events say: every certificate's last
// status message against its fold. Returns how many were compared.
Result<uint64_t> compare_status(const std::unordered_map<std::string, domain::CertificateState>& certs,
                                const std::unordered_map<std::string, json>& status) {
  uint64_t compared = 0;
  for (const auto& [id, s] : certs) {
    auto it = status.find(id);
    if (it == status.end()) return make_error(Errc::corruption, "no status message for certificate " + id);
    const json& j = it->second;
    const auto status_it = j.find("status"), version_it = j.find("version");
    const bool agrees = status_it != j.end() && status_it->is_string() && *status_it == domain::status_name(s.status) &&
                        version_it != j.end() && version_it->is_number_unsigned() &&
                        version_it->get<uint64_t>() == s.doc_version;
    if (!agrees)
      return make_error(Errc::corruption, "status topic disagrees with the events for certificate " + id + ": " +
                                              j.dump() + " vs " + domain::status_name(s.status) + " v" +
                                              std::to_string(s.doc_version));
    ++compared;
  }
  return compared;
}

}  // namespace

void add_quorum_report(json& out, const AuditSummary& s) {
  if (s.quorum.empty()) return;
  out["quorum"] = s.quorum;
  out["witnessed_size"] = s.witnessed_size;
  out["checkpoints_below_quorum"] = s.below_quorum;
}

Result<json> audit_kafka(const stream::KafkaConfig& k, const std::string& origin, const crypto::PublicKey& log_key,
                         const merkle::Policy* quorum) {
  auto start = std::chrono::steady_clock::now();
  std::map<uint64_t, std::string> records;
  uint64_t duplicates = 0;
  Status bad;
  CL_TRY(read_topic(k, k.events_topic(), [&](const rd_kafka_message_t* m) {
    auto pos = header(m, "position");
    auto position = pos ? parse_decimal(*pos) : std::nullopt;
    if (!position) {
      bad = make_error(Errc::corruption, "events message without a valid position header");
      return;
    }
    std::string rec(static_cast<const char*>(m->payload), m->len);
    auto [it, fresh] = records.emplace(*position, rec);
    if (!fresh) {
      ++duplicates;
      if (it->second != rec) bad = make_error(Errc::corruption, "position " + *pos + " appears with different bytes");
    }
  }));
  CL_TRY(bad);
  std::vector<std::string> notes;
  CL_TRY(read_topic(k, k.checkpoints_topic(), [&](const rd_kafka_message_t* m) {
    notes.emplace_back(static_cast<const char*>(m->payload), m->len);
  }));
  std::unordered_map<std::string, json> status;
  CL_TRY(read_topic(k, k.status_topic(), [&](const rd_kafka_message_t* m) {
    auto j = parse_json(std::string_view(static_cast<const char*>(m->payload), m->len), "a status message");
    if (j.ok() && j->is_object() && m->key)
      status[std::string(static_cast<const char*>(m->key), m->key_len)] = std::move(*j);
  }));

  Auditor auditor(log_key);
  auditor.set_quorum(quorum);
  projections::MapAuditor map;
  uint64_t checkpoints = 0;
  for (const auto& note : notes) {
    CL_ASSIGN(auto c, merkle::open_checkpoint(note, origin, log_key));
    if (c.size <= records.size()) {
      CL_TRY(auditor.expect_checkpoint(c.size, note));
      CL_TRY(map.expect_checkpoint(c.size, note));
      ++checkpoints;
    }
  }
  std::unordered_map<std::string, domain::CertificateState> certs;
  BatchedAudit batched(auditor, [&](const domain::Record& se) -> Status {
    CL_TRY(map.add(se));
    if (domain::command_of_event_type(se.event.type)) {
      auto& s = certs[se.event.stream];
      CL_TRY(domain::apply_event(s, se.event, hash_hex(se.hash)));
    }
    return {};
  });
  uint64_t expect = 1;
  for (const auto& [pos, rec] : records) {
    if (pos != expect)
      return make_error(Errc::corruption, "position " + std::to_string(expect) + " is missing from the topic");
    ++expect;
    CL_TRY(batched.add(pos, rec));
  }
  CL_TRY(batched.finish());
  CL_TRY(auditor.finish());
  CL_ASSIGN(const uint64_t compared, compare_status(certs, status));
  const auto& sum = auditor.summary();
  if (auto why = sum.quorum_failure(); !why.empty()) return make_error(Errc::unavailable, why);
  json out{{"ok", true},
           {"events", sum.events},
           {"duplicates_dropped", duplicates},
           {"certificates", compared},
           {"checkpoints", checkpoints},
           {"map_roots", map.checked()},
           {"authorities", sum.authorities},
           {"keys", sum.keys},
           {"root", hash_hex(sum.root)},
           {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()}};
  add_quorum_report(out, sum);
  return out;
}

}  // namespace certledger::ops
