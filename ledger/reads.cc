// Ledger's reads of its own log: a certificate's state folded from its
// stream (now, at a position, at a date) and a stream's records. Part of
// class Ledger (ledger.h).
#include "ledger/ledger.h"

namespace certledger {

Result<domain::CertificateState> Ledger::load(const std::string& id, uint64_t at_position) const {
  domain::CertificateState s;
  s.id = id;
  CL_ASSIGN(auto positions, store_->stream_positions(id));
  for (uint64_t pos : positions) {
    if (at_position && pos > at_position) break;
    CL_ASSIGN(std::string record, store_->record_at(pos));
    CL_ASSIGN(domain::Record se, domain::decode_record(pos, std::move(record)));
    CL_TRY(domain::apply_event(s, se.event, hash_hex(se.hash)));
  }
  return s;
}

Result<domain::CertificateState> Ledger::load_at_date(const std::string& id, Date date) const {
  domain::CertificateState s;
  s.id = id;
  CL_ASSIGN(auto events, stream_events(id));
  for (const auto& se : events) {
    bool in_force = china_date(se.event.time) <= date;
    // A certificate is in force from its own valid_from (or issue date),
    // even if it was recorded later: converted paper stock was valid before.
    if (!in_force && !s.exists && se.event.data.contains("fields")) {
      const auto& f = se.event.data["fields"];
      std::string from = f.value("valid_from", f.value("issue_date", ""));
      auto d = parse_date(from);
      in_force = d && *d <= date;
    }
    if (!in_force) break;
    CL_TRY(domain::apply_event(s, se.event, hash_hex(se.hash)));
  }
  return s;
}

Result<std::vector<domain::Record>> Ledger::stream_events(const std::string& stream) const {
  std::vector<domain::Record> out;
  CL_ASSIGN(auto positions, store_->stream_positions(stream));
  for (uint64_t pos : positions) {
    CL_ASSIGN(std::string record, store_->record_at(pos));
    CL_ASSIGN(domain::Record se, domain::decode_record(pos, std::move(record)));
    out.push_back(std::move(se));
  }
  return out;
}

}  // namespace certledger
