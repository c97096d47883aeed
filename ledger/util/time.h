// Calendar dates (the certificates' own dates: 发证日期, 有效期) and instants
// (event times). Dates are civil dates with no zone; instants are UTC.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace certledger {

struct Date {
  int year = 0, month = 0, day = 0;
  auto operator<=>(const Date&) const = default;
  std::string to_string() const;  // YYYY-MM-DD
  // Days since 1970-01-01 (negative before).
  int64_t days_since_epoch() const;
  static Date from_days(int64_t days);
  // Same month/day N years later; 29 Feb becomes 28 Feb in a common year.
  Date plus_years(int years) const;
  Date plus_days(int64_t days) const { return from_days(days_since_epoch() + days); }
};

// Strict YYYY-MM-DD, a real calendar day, years 1800-2199.
std::optional<Date> parse_date(std::string_view text);
bool is_leap_year(int year);
int days_in_month(int year, int month);

// Milliseconds since the Unix epoch, UTC.
using UnixMillis = int64_t;
std::string format_rfc3339_ms(UnixMillis t);  // 2026-11-23T09:33:00.123Z
std::optional<UnixMillis> parse_rfc3339(std::string_view text);
// The civil date of an instant in China Standard Time (UTC+8): certificates
// expire at the end of their last day in Beijing time.
Date china_date(UnixMillis t);

// A clock that tests can replace.
using Clock = std::function<UnixMillis()>;
UnixMillis system_now_ms();

}  // namespace certledger
