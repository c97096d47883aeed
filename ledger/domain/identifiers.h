// The three check algorithms of the domain:
//   统一社会信用代码 (GB 32100-2015), weighted MOD 31;
//   身份证号 (GB 11643-1999), ISO 7064 MOD 11-2;
//   电子证照标识 (GB/T 36904-2018), ISO 7064 hybrid MOD 37,36.
// Each check returns a precise reason on failure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ledger/util/result.h"
#include "ledger/util/time.h"

namespace certledger::domain {

// ---- 统一社会信用代码 ----
// Charset of 31: 0-9 A-H J-N P-R T U W X Y (no I O S V Z).
std::optional<char> uscc_check_char(std::string_view first17);
Status check_uscc(std::string_view code);

// ---- 身份证号 ----
std::optional<char> id_number_check_char(std::string_view first17);
// `today` bounds the birth date; pass nullopt to skip that bound.
Status check_id_number(std::string_view number, std::optional<Date> today = std::nullopt);
// Birth date and sex digit of a valid number.
Date id_number_birth_date(std::string_view number);

// ---- 电子证照标识 ----
inline constexpr std::string_view kELicenseRoot = "1.2.156.3005.2";

struct ELicenseId {
  std::string type_code;    // 21 chars: defining body's USCC (18) + 3 digits
  std::string issuer_code;  // issuer's USCC (18) or a 6-digit area code
  std::string serial;       // 1-64 chars of 0-9 A-Z
  int version = 1;          // 1-999, printed as 3 digits
  char check = '0';

  std::string to_string() const;
};

// MOD 37,36 check character over `body` (0-9 A-Z only).
std::optional<char> mod37_36_check_char(std::string_view body);
// Builds an identifier with its check character. Fails on malformed parts.
Result<ELicenseId> make_elicense(std::string_view type_code, std::string_view issuer_code, std::string_view serial,
                                 int version);
Result<ELicenseId> parse_elicense(std::string_view text);

}  // namespace certledger::domain
