#include "ledger/domain/record.h"

#include "ledger/crypto/jws.h"

namespace certledger::domain {

namespace {

Error at(uint64_t position, const Error& e) {
  return make_error(Errc::corruption, "position " + std::to_string(position) + ": " + e.message);
}

}  // namespace

Result<Record> decode_record(uint64_t position, std::string bytes) {
  auto parts = crypto::jws_parse(bytes);
  if (!parts.ok()) return at(position, parts.error());
  auto event = parse_event(parts->payload);
  if (!event.ok()) return at(position, event.error());
  Record r;
  r.position = position;
  r.hash = sha256(bytes);
  r.bytes = std::move(bytes);
  r.kid = std::move(parts->kid);
  r.event = std::move(*event);
  return r;
}

Result<RecordEnvelope> decode_envelope(uint64_t position, std::string_view bytes) {
  auto parts = crypto::jws_parse(bytes);
  if (!parts.ok()) return at(position, parts.error());
  auto event = parse_event_envelope(parts->payload);
  if (!event.ok()) return at(position, event.error());
  RecordEnvelope r;
  r.position = position;
  r.kid = std::move(parts->kid);
  r.event = std::move(*event);
  return r;
}

}  // namespace certledger::domain
