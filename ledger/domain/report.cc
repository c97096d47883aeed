#include "ledger/domain/report.h"

#include "ledger/domain/identifiers.h"
#include "ledger/domain/kinds.h"
#include "ledger/domain/validate.h"
#include "ledger/util/encoding.h"

namespace certledger::domain {

using nlohmann::json;

namespace {

// ISO/IEC 7064 pure system MOD 37-2 over 0-9 A-Z (values 0-35), check
// symbol from 0-9 A-Z *. Weights 2^k mod 37 are distinct and 37 is prime,
// so every single substitution and every adjacent transposition changes the
// sum (the hybrid MOD 37,36 misses some transpositions).
constexpr std::string_view kMod37Symbols = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*";

int value36(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return -1;
}

std::optional<char> mod37_2(std::string_view body) {
  int p = 0;
  for (char c : body) {
    int v = value36(c);
    if (v < 0) return std::nullopt;
    p = (p + v) * 2 % 37;
  }
  return kMod37Symbols[static_cast<size_t>((38 - p) % 37)];
}

}  // namespace

std::string make_report_code(std::string_view province2, std::string_view random8) {
  std::string body(province2.substr(0, 2));
  body += base32_crockford(random8).substr(0, 12);
  return body + *mod37_2(body);
}

Result<std::string> parse_report_code(std::string_view text) {
  std::string s;
  for (char c : text) {
    if (c == '-' || c == ' ') continue;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    s += c;
  }
  // No O->0 / I,L->1 reinterpretation: it would let some swaps next to the
  // check character pass; a misread letter is reported as a mistyped code.
  if (s.size() != kReportCodeLength)
    return make_error(Errc::invalid_argument, "a 防伪监管标识码 has 15 characters, got " + std::to_string(s.size()),
                      "code");
  for (size_t i = 0; i < s.size(); ++i)
    if (value36(s[i]) < 0 && !(i == 14 && s[i] == '*'))
      return make_error(Errc::invalid_argument, "防伪监管标识码 may only hold 0-9 and A-Z (and * as the check)",
                        "code");
  auto check = mod37_2(std::string_view(s).substr(0, 14));
  if (!check || *check != s[14])
    return make_error(Errc::invalid_argument, "防伪监管标识码 check character does not match: mistyped or forged",
                      "code");
  return s;
}

std::string format_report_code(std::string_view c) {
  if (c.size() != kReportCodeLength) return std::string(c);
  return std::string(c.substr(0, 2)) + "-" + std::string(c.substr(2, 4)) + "-" + std::string(c.substr(6, 4)) + "-" +
         std::string(c.substr(10, 4)) + "-" + std::string(c.substr(14, 1));
}

Status apply_report_event(ReportState& s, const Event& e, std::string_view record_hash) {
  auto bad = [&](std::string m) { return make_error(Errc::corruption, e.stream + ": " + std::move(m)); };
  if (e.seq != s.stream_version + 1 || e.prev != s.last_hash) return bad("report event does not follow");
  if (e.type == "report.registered") {
    if (s.exists) return bad("registered twice");
    s.exists = true;
    s.code = e.data.value("code", "");
    s.institution = e.data.value("institution", "");
    s.authority = e.authority;
    s.data = e.data;
    s.registered_at = e.time;
  } else if (e.type == "report.withdrawn") {
    if (!s.exists || s.withdrawn) return bad("withdrawal of a report that is not registered or already withdrawn");
    s.withdrawn = true;
    s.withdraw_reason = e.data.value("reason", "");
    s.withdrawn_at = e.time;
  } else {
    return bad("not a report event: " + e.type);
  }
  s.stream_version = e.seq;
  s.last_hash = std::string(record_hash);
  return {};
}

Result<json> report_registration(const json& fields, const CertificateState& then, const CertificateState& now,
                                 Date today) {
  CL_TRY(validate_record(test_report_descriptor(), fields, today));
  if (!now.exists || now.kind != "testing_institution")
    return make_error(Errc::forbidden,
                      "only a testing institution with a 建设工程质量检测机构资质证书 registers reports");
  // A cancelled, revoked or withdrawn qualification ends registration, for
  // tests of any date: nothing can be backdated into the time it was valid.
  if (is_terminal(now.status))
    return make_error(Errc::forbidden, std::string("the institution's certificate is ") + status_name(now.status) +
                                           (now.status_reason.empty() ? "" : " (" + now.status_reason + ")") +
                                           ": it registers no more reports");
  const Date test_date = *parse_date(fields.at("test_date").get<std::string>());
  auto refuse = [&](std::string why) {
    return make_error(Errc::rule_violation, "on the test date " + test_date.to_string() + " " + why, "test_date");
  };
  if (!then.exists) return refuse("the institution's certificate had not been issued yet");
  if (then.status != CertStatus::active)
    return refuse(std::string("the institution's certificate was ") + status_name(then.status) +
                  (then.status_reason.empty() ? "" : " (" + then.status_reason + ")"));
  if (then.expired(test_date))
    return refuse("the institution's certificate had expired on " + then.valid_until()->to_string());
  const std::string category = fields.at("category").get<std::string>();
  bool covered = false;
  for (const auto& s : then.fields.value("scope", json::array())) covered = covered || s.get<std::string>() == category;
  if (!covered) {
    std::string scope;
    for (const auto& s : then.fields.value("scope", json::array()))
      scope += (scope.empty() ? "" : "、") + s.get<std::string>();
    return make_error(Errc::rule_violation,
                      "检测类别 \"" + category + "\" is outside the institution's 检测范围 (" + scope + ") on " +
                          test_date.to_string(),
                      "category");
  }
  return json{{"fields", fields},
              {"institution", now.id},
              {"institution_name", then.fields.value("holder_name", "")},
              {"institution_number", then.fields.value("number", "")},
              {"qualified",
               {{"status", status_name(then.status)},
                {"certificate_version", then.doc_version},
                {"valid_until", then.fields.value("valid_until", "")},
                {"scope_covered", true}}}};
}

std::string report_code_claim(std::string_view code) { return "report-code/" + std::string(code); }

std::string report_number_claim(std::string_view institution, std::string_view number) {
  return "report-number/" + std::string(institution) + "/" + std::string(number);
}

}  // namespace certledger::domain
