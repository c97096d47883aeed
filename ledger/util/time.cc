#include "ledger/util/time.h"

#include <chrono>
#include <cstdio>

namespace certledger {
namespace {

// Howard Hinnant's days_from_civil / civil_from_days.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool all_digits(std::string_view s) {
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return !s.empty();
}

int to_int(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

}  // namespace

bool is_leap_year(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) {
  static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12) return 0;
  return m == 2 && is_leap_year(y) ? 29 : d[m - 1];
}

std::string Date::to_string() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, month, day);
  return buf;
}

int64_t Date::days_since_epoch() const {
  return days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
}

Date Date::from_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return Date{static_cast<int>(y + (m <= 2)), static_cast<int>(m), static_cast<int>(d)};
}

Date Date::plus_years(int years) const {
  Date r{year + years, month, day};
  if (r.day > days_in_month(r.year, r.month)) r.day = days_in_month(r.year, r.month);
  return r;
}

std::optional<Date> parse_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  auto ys = s.substr(0, 4), ms = s.substr(5, 2), ds = s.substr(8, 2);
  if (!all_digits(ys) || !all_digits(ms) || !all_digits(ds)) return std::nullopt;
  Date d{to_int(ys), to_int(ms), to_int(ds)};
  if (d.year < 1800 || d.year > 2199 || d.month < 1 || d.month > 12 || d.day < 1 ||
      d.day > days_in_month(d.year, d.month))
    return std::nullopt;
  return d;
}

std::string format_rfc3339_ms(UnixMillis t) {
  int64_t days = t >= 0 ? t / 86400000 : (t - 86399999) / 86400000;
  int64_t ms_of_day = t - days * 86400000;
  Date d = Date::from_days(days);
  int h = static_cast<int>(ms_of_day / 3600000), mi = static_cast<int>(ms_of_day / 60000 % 60),
      s = static_cast<int>(ms_of_day / 1000 % 60), ms = static_cast<int>(ms_of_day % 1000);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", d.year, d.month, d.day, h, mi, s, ms);
  return buf;
}

std::optional<UnixMillis> parse_rfc3339(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.fff]Z or with +hh:mm / -hh:mm offset.
  if (s.size() < 20) return std::nullopt;
  auto date = parse_date(s.substr(0, 10));
  if (!date || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':') return std::nullopt;
  auto hs = s.substr(11, 2), mis = s.substr(14, 2), ss = s.substr(17, 2);
  if (!all_digits(hs) || !all_digits(mis) || !all_digits(ss)) return std::nullopt;
  int h = to_int(hs), mi = to_int(mis), sec = to_int(ss);
  if (h > 23 || mi > 59 || sec > 60) return std::nullopt;
  size_t i = 19;
  int64_t ms = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (digits < 3) ms = ms * 10 + (s[i] - '0');
      ++digits;
      ++i;
    }
    if (digits == 0) return std::nullopt;
    for (int k = digits; k < 3; ++k) ms *= 10;
  }
  int64_t offset_min = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
    auto oh = s.substr(i + 1, 2), om = s.substr(i + 4, 2);
    if (!all_digits(oh) || !all_digits(om)) return std::nullopt;
    offset_min = to_int(oh) * 60 + to_int(om);
    if (s[i] == '-') offset_min = -offset_min;
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  int64_t t = date->days_since_epoch() * 86400000 + h * 3600000LL + mi * 60000LL + sec * 1000LL + ms;
  return t - offset_min * 60000;
}

Date china_date(UnixMillis t) {
  int64_t local = t + 8 * 3600000LL;
  int64_t days = local >= 0 ? local / 86400000 : (local - 86399999) / 86400000;
  return Date::from_days(days);
}

UnixMillis system_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace certledger
