#include "ledger/util/json.h"

#include <charconv>
#include <string>

#include "ledger/util/json_scan.h"
#include "ledger/util/utf8.h"

namespace certledger {

bool json_depth_within(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;  // the escaped character cannot end the string
      else if (c == '"') in_string = false;
      continue;
    }
    switch (c) {
      case '"': in_string = true; break;
      case '[':
      case '{':
        if (++depth > max_depth) return false;
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;
        break;
      default: break;
    }
  }
  return true;
}

Result<nlohmann::json> parse_json(std::string_view text, std::string_view what, int max_depth) {
  if (!json_depth_within(text, max_depth))
    return malformed_input(std::string(what) + " is nested deeper than " + std::to_string(max_depth) + " levels");
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return malformed_input(std::string(what) + " is not valid JSON");
  return j;
}

namespace {

void append_string(std::string& out, const std::string& s) {
  bool ascii = true;
  for (unsigned char c : s)
    if (c >= 0x80) {
      ascii = false;
      break;
    }
  // nlohmann's strict dump throws type_error 316 on invalid UTF-8: so does
  // this, by asking it to.
  if (!ascii && !is_valid_utf8(s))
    (void)nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
  json_append_string(out, s);
}

template <class T>
void append_integer(std::string& out, T v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

}  // namespace

void json_dump_to(std::string& out, const nlohmann::json& v) {
  using t = nlohmann::json::value_t;
  switch (v.type()) {
    case t::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, value] : v.get_ref<const nlohmann::json::object_t&>()) {
        if (!first) out += ',';
        first = false;
        append_string(out, key);
        out += ':';
        json_dump_to(out, value);
      }
      out += '}';
      return;
    }
    case t::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v) {
        if (!first) out += ',';
        first = false;
        json_dump_to(out, e);
      }
      out += ']';
      return;
    }
    case t::string: append_string(out, v.get_ref<const std::string&>()); return;
    case t::boolean: out += v.get<bool>() ? "true" : "false"; return;
    case t::null: out += "null"; return;
    case t::number_integer: append_integer(out, v.get<int64_t>()); return;
    case t::number_unsigned: append_integer(out, v.get<uint64_t>()); return;
    default:
      out += v.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
      return;  // floats, binary, discarded
  }
}

std::string json_dump(const nlohmann::json& v) {
  std::string out;
  out.reserve(256);
  json_dump_to(out, v);
  return out;
}

}  // namespace certledger
