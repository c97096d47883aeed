#include "ledger/domain/validate.h"

#include <algorithm>
#include <regex>
#include <set>

#include "ledger/domain/identifiers.h"
#include "ledger/util/hash.h"
#include "ledger/util/utf8.h"

namespace certledger::domain {
namespace {

using nlohmann::json;

// Province abbreviations as they appear at the start of business numbers.
#define PROVINCE                                                                                                                                          \
  "(京|津|冀|晋|蒙|辽|吉|黑|沪|苏|浙|皖|闽|赣|鲁|豫|鄂|湘|粤|桂|琼|渝|川|蜀|贵|黔|云|滇|藏|陕|秦|甘|陇|青|宁|新|港|" \
  "澳|台)"

Error field_error(std::string_view field, std::string message) {
  return make_error(Errc::invalid_argument, std::move(message), std::string(field));
}

std::string label_of(const FieldSpec& s) { return std::string(s.label) + " (" + std::string(s.name) + ")"; }

bool is_blank(std::string_view s) {
  // ASCII spaces, tabs and the full-width space U+3000 count as blank.
  for (size_t i = 0; i < s.size();) {
    if (s[i] == ' ' || s[i] == '\t') {
      ++i;
    } else if (s.substr(i, 3) == "\xe3\x80\x80") {
      i += 3;
    } else {
      return false;
    }
  }
  return true;
}

Status check_text(std::string_view field, std::string_view label, std::string_view s, size_t max_chars) {
  auto n = utf8_length(s);
  if (!n) return malformed_input(std::string(label) + " is not valid UTF-8", std::string(field));
  if (has_control_chars(s)) return field_error(field, std::string(label) + " contains a control character");
  if (is_blank(s)) return field_error(field, std::string(label) + " is empty");
  if (s.front() == ' ' || s.back() == ' ')
    return field_error(field, std::string(label) + " has leading or trailing spaces");
  if (*n > max_chars)
    return field_error(field, std::string(label) + " is " + std::to_string(*n) + " characters, at most " +
                                  std::to_string(max_chars) + " allowed");
  return {};
}

bool lenient_number_char(char32_t c) {
  if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) return true;
  if (c == '-' || c == '(' || c == ')' || c == '[' || c == ']' || c == '/') return true;
  if (c >= 0x4e00 && c <= 0x9fff) return true;  // CJK unified ideographs
  return c == U'（' || c == U'）' || c == U'【' || c == U'】' || c == U'〔' || c == U'〕';
}

const std::regex& number_regex(const KindDescriptor& kind) {
  static const std::regex qualification("^[ABDE]W?[123][0-9]{8}$");
  static const std::regex safety_license("^(\\(|（)" PROVINCE
                                         "(\\)|）)JZ安许证字(\\[|【|〔|\\(|（)[0-9]{4}(\\]|】|〕|\\)|）)[0-9]{6}$");
  static const std::regex special_operation("^" PROVINCE "[A-Z]?[0-9]{10,18}$");
  static const std::regex manager_a("^" PROVINCE "建安A(\\(|（)[0-9]{4}(\\)|）)[0-9]{7,8}$");
  static const std::regex manager_b("^" PROVINCE "建安B(\\(|（)[0-9]{4}(\\)|）)[0-9]{7,8}$");
  static const std::regex manager_c("^" PROVINCE "建安C[123]?(\\(|（)[0-9]{4}(\\)|）)[0-9]{7,8}$");
  switch (kind.number_format) {
    case NumberFormat::qualification: return qualification;
    case NumberFormat::safety_license: return safety_license;
    case NumberFormat::special_operation: return special_operation;
    case NumberFormat::safety_manager:
      return kind.number_class == "A" ? manager_a : kind.number_class == "B" ? manager_b : manager_c;
    case NumberFormat::lenient: break;
  }
  return qualification;  // unreachable for lenient
}

const char* number_format_hint(const KindDescriptor& kind) {
  switch (kind.number_format) {
    case NumberFormat::qualification:
      return "a letter A/B/D/E (W after it if foreign-invested), the approving level 1-3, a 2-digit "
             "province code, a 5-digit sequence and a check digit, e.g. D144012345";
    case NumberFormat::safety_license: return "（省）JZ安许证字[年份]六位序号, e.g. （粤）JZ安许证字[2019]010000";
    case NumberFormat::special_operation:
      return "province abbreviation, optional city letter and 10-18 digits, e.g. 苏A012008000001";
    case NumberFormat::safety_manager:
      return "province + 建安 + class + (year) + 7-8 digits, e.g. 粤建安A(2019)0001234";
    case NumberFormat::lenient: break;
  }
  return "";
}

}  // namespace

Status validate_text(std::string_view field, const json& value, size_t max_chars, bool required) {
  if (value.is_null()) {
    if (required) return field_error(field, std::string(field) + " is required");
    return {};
  }
  if (!value.is_string()) return field_error(field, std::string(field) + " must be a string");
  return check_text(field, field, value.get_ref<const std::string&>(), max_chars);
}

Status check_field_shapes(const json& fields, std::string_view member) {
  const std::string m(member);
  if (!fields.is_object()) return field_error(member, m + " must be an object");
  for (auto it = fields.begin(); it != fields.end(); ++it) {
    if (it->is_object()) return field_error(it.key(), m + "." + it.key() + " must be a string or a list of strings");
    if (it->is_array())
      for (const auto& x : *it)
        if (x.is_structured())
          return field_error(it.key(), m + "." + it.key() + " must be a list of strings, not of lists or objects");
  }
  return {};
}

Status validate_value(const FieldSpec& spec, const json& v, std::optional<Date> today) {
  const std::string label = label_of(spec);
  switch (spec.type) {
    case FieldType::text: {
      if (!v.is_string()) return field_error(spec.name, label + " must be a string");
      return check_text(spec.name, label, v.get_ref<const std::string&>(), spec.max_chars);
    }
    case FieldType::text_list: {
      if (!v.is_array()) return field_error(spec.name, label + " must be a list of strings");
      if (v.empty()) return field_error(spec.name, label + " must not be empty");
      if (v.size() > spec.max_items)
        return field_error(spec.name, label + " has " + std::to_string(v.size()) + " items, at most " +
                                          std::to_string(spec.max_items));
      std::set<std::string> seen;
      for (size_t i = 0; i < v.size(); ++i) {
        const std::string item_label = label + " item " + std::to_string(i + 1);
        if (!v[i].is_string()) return field_error(spec.name, item_label + " must be a string");
        const auto& s = v[i].get_ref<const std::string&>();
        CL_TRY(check_text(spec.name, item_label, s, spec.max_chars));
        if (!seen.insert(s).second) return field_error(spec.name, item_label + " repeats \"" + s + "\"");
      }
      return {};
    }
    case FieldType::uscc: {
      if (!v.is_string()) return field_error(spec.name, label + " must be a string");
      auto st = check_uscc(v.get_ref<const std::string&>());
      if (!st) return field_error(spec.name, st.error().message);
      return {};
    }
    case FieldType::id_number: {
      if (!v.is_string()) return field_error(spec.name, label + " must be a string");
      auto st = check_id_number(v.get_ref<const std::string&>(), today);
      if (!st) return field_error(spec.name, st.error().message);
      return {};
    }
    case FieldType::date: {
      if (!v.is_string() || !parse_date(v.get_ref<const std::string&>()))
        return field_error(spec.name, label + " must be a real date written YYYY-MM-DD");
      return {};
    }
    case FieldType::choice: {
      if (v.is_string())
        for (auto c : spec.choices)
          if (v.get_ref<const std::string&>() == c) return {};
      std::string allowed;
      for (auto c : spec.choices) allowed += (allowed.empty() ? "" : ", ") + std::string(c);
      return field_error(spec.name, label + " must be one of: " + allowed);
    }
    case FieldType::photo: {
      auto is_ref = [](const std::string& s) {
        if (s.size() != 71 || s.compare(0, 7, "sha256:") != 0) return false;
        for (size_t i = 7; i < s.size(); ++i)
          if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
        return true;
      };
      if (!v.is_string() || !is_ref(v.get_ref<const std::string&>()))
        return field_error(spec.name, label +
                                          " must reference an uploaded JPEG or PNG as "
                                          "sha256:<64 lower-case hex digits>");
      return {};
    }
  }
  return {};
}

Status validate_number(const KindDescriptor& kind, std::string_view number) {
  const std::string label = "证书编号 (number)";
  CL_TRY(check_text("number", label, number, 40));
  if (kind.number_format == NumberFormat::lenient) {
    auto cps = utf8_decode(number);
    if (cps.size() < 4) return field_error("number", label + " is too short (at least 4 characters)");
    for (char32_t c : cps)
      if (!lenient_number_char(c))
        return field_error("number", label + " contains \"" + utf8_encode(c) +
                                         "\"; allowed are letters, digits, Chinese characters, "
                                         "brackets, '-' and '/'");
    return {};
  }
  if (!std::regex_match(std::string(number), number_regex(kind)))
    return field_error("number", label + " \"" + std::string(number) + "\" does not match the " +
                                     std::string(kind.name) + " format: " + number_format_hint(kind));
  return {};
}

namespace {

// An object holding only the given fields, each required one present, each
// value valid. `what` names the thing in "unknown field ... for <what>".
Status validate_field_set(const std::vector<FieldSpec>& specs, const json& fields, const std::string& what,
                          Date today) {
  if (!fields.is_object()) return malformed_input("fields must be a JSON object", "fields");
  for (auto it = fields.begin(); it != fields.end(); ++it)
    if (std::none_of(specs.begin(), specs.end(), [&](const FieldSpec& f) { return f.name == it.key(); }))
      return field_error(it.key(), "unknown field \"" + it.key() + "\" for " + what);
  for (const auto& spec : specs) {
    auto it = fields.find(std::string(spec.name));
    if (it == fields.end() || it->is_null()) {
      if (spec.required) return field_error(spec.name, label_of(spec) + " is required");
      continue;
    }
    CL_TRY(validate_value(spec, *it, today));
  }
  return {};
}

}  // namespace

Status validate_fields(const KindDescriptor& kind, const json& fields, Date today) {
  CL_TRY(validate_field_set(kind.fields, fields, std::string(kind.name) + " (" + std::string(kind.code) + ")", today));
  CL_TRY(validate_number(kind, fields.at("number").get_ref<const std::string&>()));

  auto date_of = [&](const char* name) -> std::optional<Date> {
    auto it = fields.find(name);
    if (it == fields.end() || !it->is_string()) return std::nullopt;
    return parse_date(it->get_ref<const std::string&>());
  };
  auto from = date_of("valid_from"), until = date_of("valid_until"), issued = date_of("issue_date");
  if (from && until && *until < *from)
    return field_error("valid_until", "有效期至 (valid_until) " + until->to_string() +
                                          " is before 有效期自 (valid_from) " + from->to_string());
  if (issued && *issued > today)
    return field_error("issue_date", "发证日期 (issue_date) " + issued->to_string() + " is in the future");
  if (issued && until && *until < *issued)
    return field_error("valid_until", "有效期至 (valid_until) " + until->to_string() +
                                          " is before 发证日期 (issue_date) " + issued->to_string());
  if (kind.holder == HolderType::person) {
    auto birth = id_number_birth_date(fields.at("id_number").get_ref<const std::string&>());
    if (issued && birth.plus_years(16) > *issued)
      return field_error("id_number",
                         "身份证号 (id_number) gives a holder younger than 16 on the "
                         "issue date");
  }
  return {};
}

Status validate_record(const RecordDescriptor& record, const json& fields, Date today) {
  CL_TRY(validate_field_set(record.fields, fields, "a test report", today));
  static const std::regex hex64("^[0-9a-f]{64}$");
  if (!std::regex_match(fields.at("file_sha256").get_ref<const std::string&>(), hex64))
    return field_error("file_sha256", "报告文件 SHA-256 (file_sha256) must be 64 lower-case hex digits");
  auto d = parse_date(fields.at("test_date").get_ref<const std::string&>());
  if (*d > today) return field_error("test_date", "检测日期 (test_date) is in the future");
  return {};
}

}  // namespace certledger::domain
