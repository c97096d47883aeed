// Test reports and their anti-counterfeit codes (防伪监管标识码, seed 002):
// each report is its own stream, signed by its institution's authority.
#include "ledger/ledger.h"

#include "ledger/domain/identifiers.h"
#include "ledger/domain/validate.h"
#include "ledger/util/random.h"

namespace certledger {

Result<domain::ReportState> Ledger::load_report(const std::string& code) const {
  domain::ReportState s;
  CL_ASSIGN(auto events, stream_events(domain::report_stream(code)));
  for (const auto& se : events) CL_TRY(domain::apply_report_event(s, se.event, hash_hex(se.hash)));
  if (!s.exists) return make_error(Errc::not_found, "no report with code " + code);
  return s;
}

Result<Outcome> Ledger::register_report(const std::string& institution_id, const nlohmann::json& fields,
                                        const std::string& operator_id, const ExecOptions& opts) {
  if (!sequencer_ || options_.replica) return make_error(Errc::unavailable, "this ledger does not accept commands");
  if (!domain::is_certificate_id(institution_id))
    return make_error(Errc::forbidden, "the token is not bound to a testing institution's certificate");
  CL_ASSIGN(auto now, load(institution_id));
  if (!now.exists) return make_error(Errc::forbidden, "no certificate " + institution_id + " for this institution");
  auto authority = this->authority(now.authority);
  if (!authority) return make_error(Errc::corruption, "unknown authority " + now.authority);
  const UnixMillis t = options_.clock();
  domain::CertificateState then;
  if (fields.is_object() && fields.contains("test_date") && fields["test_date"].is_string())
    if (auto d = parse_date(fields["test_date"].get<std::string>())) {
      CL_ASSIGN(then, load_at_date(institution_id, *d));
    }
  CL_ASSIGN(nlohmann::json data, domain::report_registration(fields, then, now, china_date(t)));
  const Hash256 request_hash = sha256(institution_id + "\n" + fields.dump());
  for (int attempt = 0; attempt < 4; ++attempt) {
    const std::string code = domain::make_report_code(authority->region.substr(0, 2), random_bytes(8));
    domain::Event e;
    e.id = uuid_v7(t);
    e.type = "report.registered";
    e.stream = domain::report_stream(code);
    e.seq = 1;
    e.actor = {{"operator", operator_id}, {"role", "institution"}, {"trail", nlohmann::json::array()}};
    e.time = t;
    e.data = data;
    e.data["code"] = code;
    ExecOptions o = opts;
    if (o.idempotency_scope.empty()) o.idempotency_scope = "report:" + institution_id;
    const std::string code_claim = domain::report_code_claim(code);
    auto r = append_event(
        now.authority, std::move(e),
        {code_claim, domain::report_number_claim(institution_id, fields["report_number"].get<std::string>())}, o,
        request_hash);
    // A taken code (2^-60 a try) is retried; a taken report number is an answer.
    if (r.ok() || r.error().detail != Detail::claim_taken || r.error().subject != code_claim) return r;
  }
  return make_error(Errc::internal, "could not draw a free report code");
}

Result<Outcome> Ledger::withdraw_report(const std::string& code, const std::string& reason,
                                        const std::string& authority, const std::string& institution_id,
                                        const std::string& operator_id, domain::Role role) {
  CL_ASSIGN(auto s, load_report(code));
  if (s.withdrawn) return make_error(Errc::rule_violation, "report " + code + " was already withdrawn");
  const bool by_institution = !institution_id.empty() && institution_id == s.institution;
  const bool by_authority = institution_id.empty() && authority == s.authority && role == domain::Role::approver;
  if (!by_institution && !by_authority)
    return make_error(Errc::forbidden,
                      "only the issuing institution or an approver of " + s.authority + " may withdraw report " + code);
  CL_TRY(domain::validate_text("reason", nlohmann::json(reason), 500));
  const UnixMillis t = options_.clock();
  domain::Event e;
  e.id = uuid_v7(t);
  e.type = "report.withdrawn";
  e.stream = domain::report_stream(code);
  e.seq = s.stream_version + 1;
  e.prev = s.last_hash;
  e.actor = {{"operator", operator_id}, {"role", domain::role_name(role)}, {"trail", nlohmann::json::array()}};
  e.time = t;
  e.data = {{"reason", reason}, {"code", code}};
  return append_event(s.authority, std::move(e), {}, {}, Hash256{});
}

}  // namespace certledger
