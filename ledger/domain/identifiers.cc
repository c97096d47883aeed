#include "ledger/domain/identifiers.h"

#include <array>
#include <cstring>

namespace certledger::domain {
namespace {

constexpr std::string_view kUsccCharset = "0123456789ABCDEFGHJKLMNPQRTUWXY";
constexpr int kUsccWeights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
constexpr int kIdWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
constexpr char kIdCheck[11] = {'1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'};

int uscc_value(char c) {
  auto p = kUsccCharset.find(c);
  return p == std::string_view::npos ? -1 : static_cast<int>(p);
}

int alnum36(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return -1;
}

char alnum36_char(int v) { return static_cast<char>(v < 10 ? '0' + v : 'A' + v - 10); }

bool is_digits(std::string_view s) {
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

std::string describe_char(char c) {
  if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f)
    return "a non-ASCII or control byte";
  return std::string("'") + c + "'";
}

}  // namespace

std::optional<char> uscc_check_char(std::string_view first17) {
  if (first17.size() != 17) return std::nullopt;
  int sum = 0;
  for (size_t i = 0; i < 17; ++i) {
    int v = uscc_value(first17[i]);
    if (v < 0) return std::nullopt;
    sum += v * kUsccWeights[i];
  }
  int c = 31 - sum % 31;
  if (c == 31) c = 0;
  return kUsccCharset[static_cast<size_t>(c)];
}

Status check_uscc(std::string_view code) {
  if (code.size() != 18)
    return make_error(Errc::invalid_argument,
                      "统一社会信用代码 must be 18 characters, got " + std::to_string(code.size()));
  for (size_t i = 0; i < 18; ++i) {
    if (uscc_value(code[i]) < 0) {
      std::string why = "统一社会信用代码 character " + std::to_string(i + 1) + " is " + describe_char(code[i]);
      if (code[i] >= 'a' && code[i] <= 'z') why += " (letters must be upper case)";
      else if (std::strchr("IOSVZ", code[i]) && code[i] != '\0') why += " (I, O, S, V and Z are not used)";
      else why += " (allowed: 0-9 and A-Y without I O S V Z)";
      return make_error(Errc::invalid_argument, why);
    }
  }
  if (!is_digits(code.substr(2, 6)))
    return make_error(Errc::invalid_argument,
                      "统一社会信用代码 characters 3-8 must be a 6-digit administrative area code");
  char expect = *uscc_check_char(code.substr(0, 17));
  if (code[17] != expect)
    return make_error(Errc::invalid_argument,
                      std::string("统一社会信用代码 check character is '") + code[17] + "', expected '" + expect + "'");
  return {};
}

std::optional<char> id_number_check_char(std::string_view first17) {
  if (first17.size() != 17 || !is_digits(first17)) return std::nullopt;
  int sum = 0;
  for (size_t i = 0; i < 17; ++i) sum += (first17[i] - '0') * kIdWeights[i];
  return kIdCheck[sum % 11];
}

Status check_id_number(std::string_view n, std::optional<Date> today) {
  if (n.size() != 18)
    return make_error(Errc::invalid_argument, "身份证号 must be 18 characters, got " + std::to_string(n.size()));
  for (size_t i = 0; i < 17; ++i)
    if (n[i] < '0' || n[i] > '9')
      return make_error(Errc::invalid_argument, "身份证号 character " + std::to_string(i + 1) + " is " +
                                                    describe_char(n[i]) + ", expected a digit");
  if (!((n[17] >= '0' && n[17] <= '9') || n[17] == 'X'))
    return make_error(Errc::invalid_argument,
                      "身份证号 check character must be a digit or upper-case X, got " + describe_char(n[17]));
  if (n[0] == '0') return make_error(Errc::invalid_argument, "身份证号 area code cannot start with 0");
  std::string birth =
      std::string(n.substr(6, 4)) + "-" + std::string(n.substr(10, 2)) + "-" + std::string(n.substr(12, 2));
  auto d = parse_date(birth);
  if (!d) return make_error(Errc::invalid_argument, "身份证号 birth date " + birth + " is not a real date");
  if (today && *d > *today)
    return make_error(Errc::invalid_argument, "身份证号 birth date " + birth + " is in the future");
  char expect = *id_number_check_char(n.substr(0, 17));
  if (n[17] != expect)
    return make_error(Errc::invalid_argument,
                      std::string("身份证号 check character is '") + n[17] + "', expected '" + expect + "'");
  return {};
}

Date id_number_birth_date(std::string_view n) {
  auto d =
      parse_date(std::string(n.substr(6, 4)) + "-" + std::string(n.substr(10, 2)) + "-" + std::string(n.substr(12, 2)));
  return d ? *d : Date{};
}

std::optional<char> mod37_36_check_char(std::string_view body) {
  int p = 36;
  for (char c : body) {
    int v = alnum36(c);
    if (v < 0) return std::nullopt;
    p = (p + v) % 36;
    if (p == 0) p = 36;
    p = (2 * p) % 37;
  }
  return alnum36_char((37 - p) % 36);
}

std::string ELicenseId::to_string() const {
  char ver[8];
  std::snprintf(ver, sizeof ver, "%03d", version);
  return std::string(kELicenseRoot) + "." + type_code + "." + issuer_code + "." + serial + "." + ver + "." + check;
}

namespace {

Status check_part(std::string_view what, std::string_view s, size_t min, size_t max) {
  if (s.size() < min || s.size() > max) {
    std::string range = std::to_string(min);
    if (min != max) {
      range += '-';
      range += std::to_string(max);
    }
    std::string msg = "电子证照标识 ";
    msg += what;
    msg += " must be " + range + " characters, got " + std::to_string(s.size());
    return make_error(Errc::invalid_argument, msg);
  }
  for (char c : s)
    if (alnum36(c) < 0)
      return make_error(Errc::invalid_argument,
                        "电子证照标识 " + std::string(what) + " has " + describe_char(c) + " (allowed: 0-9 A-Z)");
  return {};
}

Status check_parts(std::string_view type_code, std::string_view issuer, std::string_view serial, int version) {
  CL_TRY(check_part("type code", type_code, 21, 21));
  if (!is_digits(type_code.substr(18)))
    return make_error(Errc::invalid_argument, "电子证照标识 type code must end in 3 digits");
  if (issuer.size() != 18 && issuer.size() != 6)
    return make_error(Errc::invalid_argument,
                      "电子证照标识 issuer code must be an 18-character 统一社会信用代码 or a 6-digit area code");
  CL_TRY(check_part("issuer code", issuer, issuer.size(), issuer.size()));
  if (issuer.size() == 6 && !is_digits(issuer))
    return make_error(Errc::invalid_argument, "电子证照标识 6-character issuer code must be digits");
  CL_TRY(check_part("serial", serial, 1, 64));
  if (version < 1 || version > 999) return make_error(Errc::invalid_argument, "电子证照标识 version must be 001-999");
  return {};
}

}  // namespace

Result<ELicenseId> make_elicense(std::string_view type_code, std::string_view issuer, std::string_view serial,
                                 int version) {
  CL_TRY(check_parts(type_code, issuer, serial, version));
  ELicenseId id{std::string(type_code), std::string(issuer), std::string(serial), version, '0'};
  char ver[8];
  std::snprintf(ver, sizeof ver, "%03d", version);
  id.check = *mod37_36_check_char(id.type_code + id.issuer_code + id.serial + ver);
  return id;
}

Result<ELicenseId> parse_elicense(std::string_view text) {
  std::string root = std::string(kELicenseRoot) + ".";
  if (text.substr(0, root.size()) != root)
    return make_error(Errc::invalid_argument, "电子证照标识 must start with " + std::string(kELicenseRoot) + ".");
  std::string_view rest = text.substr(root.size());
  std::string_view parts[5];
  for (int i = 0; i < 5; ++i) {
    auto dot = rest.find('.');
    if (i < 4) {
      if (dot == std::string_view::npos)
        return make_error(Errc::invalid_argument,
                          "电子证照标识 needs 5 dot-separated segments after the root "
                          "(type, issuer, serial, version, check)");
      parts[i] = rest.substr(0, dot);
      rest = rest.substr(dot + 1);
    } else {
      if (dot != std::string_view::npos)
        return make_error(Errc::invalid_argument, "电子证照标识 has too many segments");
      parts[i] = rest;
    }
  }
  if (parts[3].size() != 3 || !is_digits(parts[3]))
    return make_error(Errc::invalid_argument, "电子证照标识 version must be 3 digits");
  int version = std::stoi(std::string(parts[3]));
  CL_TRY(check_parts(parts[0], parts[1], parts[2], version));
  if (parts[4].size() != 1 || alnum36(parts[4][0]) < 0)
    return make_error(Errc::invalid_argument, "电子证照标识 check must be one character 0-9 A-Z");
  auto made = make_elicense(parts[0], parts[1], parts[2], version);
  if (made->check != parts[4][0])
    return make_error(Errc::invalid_argument, std::string("电子证照标识 check character is '") + parts[4][0] +
                                                  "', expected '" + made->check + "'");
  return made;
}

}  // namespace certledger::domain
