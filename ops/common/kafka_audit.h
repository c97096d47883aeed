// An outside auditor's check, from the Kafka topics alone and the published
// log key: every record verified in position order (signatures against the
// key history in the log, chains, dense positions), every checkpoint's
// signature and root, and every certificate's final state recomputed from
// the events and compared with the latest message on the status topic.
// With a witness quorum, the newest checkpoint on the topic must meet it
// (add_quorum_report puts what the audit found into its answer).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "ledger/audit.h"
#include "ledger/crypto/keys.h"
#include "ledger/merkle/policy.h"
#include "ledger/stream/kafka.h"

namespace certledger::ops {

Result<nlohmann::json> audit_kafka(const stream::KafkaConfig& kafka, const std::string& origin,
                                   const crypto::PublicKey& log_key, const merkle::Policy* quorum = nullptr);
// {"quorum", "witnessed_size", "checkpoints_below_quorum"} when the audit had
// a quorum.
void add_quorum_report(nlohmann::json& out, const AuditSummary& s);

}  // namespace certledger::ops
