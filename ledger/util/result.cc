#include "ledger/util/result.h"

namespace certledger {

const char* errc_name(Errc code) {
  switch (code) {
    case Errc::invalid_argument: return "invalid_argument";
    case Errc::not_found: return "not_found";
    case Errc::already_exists: return "already_exists";
    case Errc::conflict: return "conflict";
    case Errc::precondition_failed: return "precondition_failed";
    case Errc::rule_violation: return "rule_violation";
    case Errc::unauthenticated: return "unauthenticated";
    case Errc::forbidden: return "forbidden";
    case Errc::corruption: return "corruption";
    case Errc::io_error: return "io_error";
    case Errc::unavailable: return "unavailable";
    case Errc::internal: return "internal";
  }
  return "internal";
}

std::string Error::to_string() const {
  std::string s = errc_name(code);
  if (!field.empty()) s += " [" + field + "]";
  s += ": ";
  s += message;
  return s;
}

}  // namespace certledger
