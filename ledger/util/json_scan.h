// Reads the members of a top-level JSON object without building a tree:
// each member's key and, for strings and scalars, the raw text of its value;
// nested objects and arrays are stepped over bracket by bracket. It checks the
// structure it walks (terminated strings, no raw control characters in them,
// balanced brackets, member separators, nothing after the object) but not the
// grammar inside nested values, and it does not unescape: a string with a
// backslash in it is reported as `escaped` and its raw text is not its value.
// For readers that only route or summarise JSON they did not write
// themselves less cheaply (Kafka relay, status messages); a reader that
// decides what a document means parses it in full.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace certledger {

struct JsonMember {
  enum class Kind { string, scalar, nested };
  std::string_view key;  // raw (escaped when key_escaped)
  bool key_escaped = false;
  Kind kind = Kind::scalar;
  std::string_view raw;  // string: contents without quotes; scalar: the token; nested: empty
  bool escaped = false;  // string holds a backslash escape
};

class JsonObjectScanner {
 public:
  explicit JsonObjectScanner(std::string_view text) : s_(text) {}
  // The next member, nullopt at the end of the object or on malformed input
  // (then ok() is false).
  std::optional<JsonMember> next();
  bool ok() const { return !failed_; }

 private:
  void ws();
  bool eat(char c);
  char peek();
  bool string(std::string_view& out, bool& escaped);
  bool skip_nested();
  bool fail() { return failed_ = true, false; }

  std::string_view s_;
  size_t i_ = 0;
  enum class State { start, members, done } state_ = State::start;
  bool failed_ = false;
};

// Calls fn(const JsonMember&) for every member; false if the text is not a
// well-formed object (as far as the scanner checks).
template <class F>
bool scan_json_object(std::string_view text, F&& fn) {
  JsonObjectScanner sc(text);
  while (auto m = sc.next()) fn(*m);
  return sc.ok();
}

// Appends s as a JSON string (quotes included), escaping '"', '\\' and
// control characters; UTF-8 passes through unchanged (as nlohmann's dump
// does). REQUIRES: s is valid UTF-8.
void json_append_string(std::string& out, std::string_view s);

// An unsigned JSON integer token (no sign, fraction, exponent or leading zero).
std::optional<uint64_t> json_uint(std::string_view token);

}  // namespace certledger
