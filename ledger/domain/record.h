// The signed record: what the log holds at one position and what every
// reader receives (doc/event_format.md). decode_record is the one decoder
// of record bytes for the ledger, the relay, the audit and the replicas.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ledger/domain/event.h"
#include "ledger/util/hash.h"
#include "ledger/util/result.h"

namespace certledger::domain {

// A record and what is known of it. A command builds one, the sequencer
// gives it its position, contributors and readers receive it whole.
struct Record {
  uint64_t position = 0;  // in the log; 0 until sequenced
  std::string bytes;      // the JWS the authority signed (flattened JSON serialization)
  std::string kid;        // the key that signed it
  Event event;            // the payload, parsed
  Hash256 hash{};         // SHA-256(bytes): what the stream's next record names as prev
};
// JWS -> key id + event, and the hash. Errors are corruption naming the
// position. The signature is not checked here: that needs the registry
// (Auditor, Registry).
Result<Record> decode_record(uint64_t position, std::string bytes);

// What a router needs from a record without interpreting it: the key id and
// the envelope members (parse_event_envelope). No hash, no copy of the
// bytes, no JSON tree: the relay and the audit feed read millions of these.
struct RecordEnvelope {
  uint64_t position = 0;
  std::string kid;
  EventEnvelope event;
};
Result<RecordEnvelope> decode_envelope(uint64_t position, std::string_view bytes);

}  // namespace certledger::domain
