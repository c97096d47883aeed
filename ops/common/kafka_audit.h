// An outside auditor's check, from the Kafka topics alone and the published
// log key: every record verified in position order (signatures against the
// key history in the log, chains, dense positions), every checkpoint's
// signature and root, and every certificate's final state recomputed from
// the events and compared with the latest message on the status topic.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "ledger/crypto/keys.h"
#include "ledger/stream/kafka.h"

namespace certledger::ops {

Result<nlohmann::json> audit_kafka(const stream::KafkaConfig& kafka, const std::string& origin,
                                   const crypto::PublicKey& log_key);

}  // namespace certledger::ops
