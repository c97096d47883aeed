// Test reports and their anti-counterfeit codes (防伪监管标识码, seed 002).
//
// A code is 15 characters: the 2-digit province code of the ledger, 12
// random Crockford base32 characters (60 bits: not guessable), and an
// ISO/IEC 7064 MOD 37-2 check character (0-9 A-Z or *) over the first 14,
// which catches every single-character error and adjacent swap. Printed in
// groups as 44-7K3M-9QX2-HC4F-T under the report's QR code; parsing accepts
// lower case, spaces and dashes.
//
// A testing institution registers a report only if, on the report's test
// date, its testing_institution certificate was active and unexpired and
// the report's category lies within its 检测范围.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "ledger/domain/certificate.h"
#include "ledger/domain/event.h"
#include "ledger/util/result.h"

namespace certledger::domain {

inline constexpr size_t kReportCodeLength = 15;

// A new code for a province ("44"), from 8 random bytes (60 bits used).
std::string make_report_code(std::string_view province2, std::string_view random8);
// Normalises and checks a code; the canonical 15 characters, or why not.
Result<std::string> parse_report_code(std::string_view text);
std::string format_report_code(std::string_view canonical);  // 44-7K3M-9QX2-HC4F-T

struct ReportState {
  bool exists = false;
  std::string code;
  std::string institution;  // the institution's certificate id
  std::string authority;
  nlohmann::json data;  // the registration event's data
  bool withdrawn = false;
  std::string withdraw_reason;
  UnixMillis registered_at = 0, withdrawn_at = 0;
  uint64_t stream_version = 0;
  std::string last_hash;
};

Status apply_report_event(ReportState& s, const Event& e, std::string_view record_hash_hex);

// Checks the institution's qualification and builds the registration data.
// `then` is the institution's certificate as of the end of the test date;
// `now` as of now.
Result<nlohmann::json> report_registration(const nlohmann::json& fields, const CertificateState& then,
                                           const CertificateState& now, Date today);

std::string report_code_claim(std::string_view code);
std::string report_number_claim(std::string_view institution, std::string_view report_number);

}  // namespace certledger::domain
