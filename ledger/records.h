// Reading signed records back from the store: the one decoder of a stored
// record (JWS -> key id + event) for the ledger, the relay, the audit and the
// replicas (doc/event_format.md).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "ledger/domain/event.h"
#include "ledger/util/hash.h"
#include "ledger/util/result.h"

namespace certledger {

namespace store {
class EventStore;
}

// A parsed, hash-checked record from the store.
struct StoredEvent {
  uint64_t position = 0;
  std::string record;
  std::string kid;
  domain::Event event;
  Hash256 hash{};
};
Result<StoredEvent> decode_record(uint64_t position, std::string record);
// What a router needs from a record without interpreting it: the key id and
// the event's envelope (domain::parse_event_envelope). No hash, no copy of
// the record, no JSON tree.
struct RecordEnvelope {
  uint64_t position = 0;
  std::string kid;
  domain::EventEnvelope event;
};
Result<RecordEnvelope> decode_envelope(uint64_t position, std::string_view record);
// Hands the decoded records at positions [from, to] to fn, in order. The
// next chunk is read and decoded (JWS, event JSON, hash) on another thread
// while fn works through the current one. Stops at the first error (a
// record that does not decode: corruption, naming its position) or the first
// error fn returns.
Status for_each_record(const store::EventStore& store, uint64_t from, uint64_t to,
                       const std::function<Status(StoredEvent&)>& fn);

}  // namespace certledger
