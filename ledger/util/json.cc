#include "ledger/util/json.h"

#include <string>

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

}  // namespace certledger
