// The event: what an authority signs. A JSON object, UTF-8, keys in
// lexicographic order, built once by serialize_event; readers parse the bytes
// they received and never re-serialize them. doc/event_format.md is the
// normative description.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "ledger/util/result.h"
#include "ledger/util/time.h"

namespace certledger::domain {

// Format 2 seals personal data (doc/event_format.md); readers accept 1 and 2.
inline constexpr int kEventFormatVersion = 2;
inline constexpr int kOldestEventFormatVersion = 1;

struct Event {
  int v = kEventFormatVersion;
  std::string id;         // UUIDv7, lower-case text
  std::string type;       // certificate.issued, authority.key_added, ...
  std::string stream;     // certificate id, "authority:<code>" or "report:<code>"
  uint64_t seq = 0;       // stream version, 1 for the first event of a stream
  std::string authority;  // authority code
  std::string kind;       // certificate kind; empty for non-certificate events
  nlohmann::json actor;   // {"operator", "role", "trail": [{"step", "operator", ...}]}
  UnixMillis time = 0;
  nlohmann::json data;  // type-specific
  std::string prev;     // hex SHA-256 of the stream's previous signed record; "" if seq == 1
};

std::string serialize_event(const Event& e);
// Strict parse: format version, every envelope member with its type, no
// unknown envelope members.
Result<Event> parse_event(std::string_view json_bytes);

// The envelope members a router needs (v, type, stream, seq, authority, kind,
// time), read by JsonObjectScanner (ledger/util/json_scan.h) without building
// a JSON tree: the envelope members' types are checked, nested values (actor,
// data) only for structure. For readers that pass records on (the Kafka
// relay), not for deciding what a record means: that is parse_event, which
// the verifying readers use. A member with an escape in it is handed to
// parse_event, so the two always agree on the values.
struct EventEnvelope {
  int v = kEventFormatVersion;
  std::string type, stream, authority, kind;
  uint64_t seq = 0;
  UnixMillis time = 0;
};
Result<EventEnvelope> parse_event_envelope(std::string_view json_bytes);

// Stream ids.
bool is_certificate_id(std::string_view s);  // 26 Crockford base32 characters
std::string authority_stream(std::string_view authority_code);
std::string report_stream(std::string_view report_code);
std::string holder_stream(std::string_view holder_ref);  // "holder:<ref>": the holder's erasure
inline constexpr std::string_view kHolderErased = "holder.erased";
// Authority codes: 2-32 of A-Z 0-9 '-', starting with a letter (GD-ZJT).
Status check_authority_code(std::string_view code);

}  // namespace certledger::domain
