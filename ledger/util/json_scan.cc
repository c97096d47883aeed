#include "ledger/util/json_scan.h"

#include <cstring>

#include <charconv>
#include <string>

namespace certledger {

void JsonObjectScanner::ws() {
  while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
}

bool JsonObjectScanner::eat(char c) {
  ws();
  if (i_ < s_.size() && s_[i_] == c) return ++i_, true;
  return false;
}

char JsonObjectScanner::peek() {
  ws();
  return i_ < s_.size() ? s_[i_] : '\0';
}

bool JsonObjectScanner::string(std::string_view& out, bool& escaped) {
  if (!eat('"')) return false;
  const size_t start = i_;
  escaped = false;
  while (i_ < s_.size()) {
    const auto c = static_cast<unsigned char>(s_[i_]);
    if (c == '"') {
      out = s_.substr(start, i_ - start);
      ++i_;
      return true;
    }
    if (c == '\\') {
      escaped = true;
      ++i_;  // the escaped character, whatever it is, cannot end the string
    } else if (c < 0x20) {
      return false;  // control characters must be escaped
    }
    ++i_;
  }
  return false;  // unterminated
}

bool JsonObjectScanner::skip_nested() {
  std::string owed;  // closing brackets still owed, innermost last
  do {
    ws();
    if (i_ >= s_.size()) return false;
    const char c = s_[i_];
    if (c == '"') {
      std::string_view ignored;
      bool esc;
      if (!string(ignored, esc)) return false;
    } else if (c == '{' || c == '[') {
      owed.push_back(c == '{' ? '}' : ']');
      ++i_;
    } else if (c == '}' || c == ']') {
      if (owed.empty() || owed.back() != c) return false;
      owed.pop_back();
      ++i_;
    } else {
      ++i_;  // scalars, commas, colons: not checked inside nested values
    }
  } while (!owed.empty());
  return true;
}

std::optional<JsonMember> JsonObjectScanner::next() {
  if (failed_ || state_ == State::done) return std::nullopt;
  if (state_ == State::start) {
    if (!eat('{')) return fail(), std::nullopt;
    state_ = State::members;
    if (eat('}')) {
      state_ = State::done;
      ws();
      if (i_ != s_.size()) fail();
      return std::nullopt;
    }
  }
  JsonMember m;
  if (peek() != '"' || !string(m.key, m.key_escaped) || !eat(':')) return fail(), std::nullopt;
  const char c = peek();
  if (c == '"') {
    m.kind = JsonMember::Kind::string;
    if (!string(m.raw, m.escaped)) return fail(), std::nullopt;
  } else if (c == '{' || c == '[') {
    m.kind = JsonMember::Kind::nested;
    if (!skip_nested()) return fail(), std::nullopt;
  } else {
    m.kind = JsonMember::Kind::scalar;
    const size_t start = i_;
    while (i_ < s_.size() && s_[i_] != ',' && s_[i_] != '}' && s_[i_] != ']' && s_[i_] != ' ' && s_[i_] != '\t' &&
           s_[i_] != '\n' && s_[i_] != '\r' && s_[i_] != '"')
      ++i_;
    if (i_ == start) return fail(), std::nullopt;
    m.raw = s_.substr(start, i_ - start);
  }
  if (eat(',')) return m;
  if (!eat('}')) return fail(), std::nullopt;
  state_ = State::done;
  ws();
  if (i_ != s_.size()) return fail(), std::nullopt;
  return m;
}

namespace {

// Whether any of 8 bytes is below 0x20, '"' or '\\' (the bit tricks of
// "Bit Twiddling Hacks": a byte below n, a byte equal to zero).
inline bool needs_escape(uint64_t w) {
  constexpr uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
  const uint64_t below_space = (w - ones * 0x20) & ~w & highs;
  const uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
  return (below_space | ((q - ones) & ~q & highs) | ((b - ones) & ~b & highs)) != 0;
}

}  // namespace

void json_append_string(std::string& out, std::string_view s) {
  static const char* hex = "0123456789abcdef";
  out += '"';
  size_t run = 0;  // start of the pending unescaped run
  for (size_t i = 0; i < s.size(); ++i) {
    // Eight bytes at a time while none needs an escape (JWEs, base64url
    // payloads, long Chinese text: whole strings go by this way).
    while (i + 8 <= s.size()) {
      uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      if (needs_escape(w)) break;
      i += 8;
    }
    if (i >= s.size()) break;
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out += hex[c >> 4];
        out += hex[c & 15];
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

std::optional<uint64_t> json_uint(std::string_view t) {
  if (t.empty() || (t.size() > 1 && t[0] == '0')) return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || p != t.data() + t.size()) return std::nullopt;
  return v;
}

}  // namespace certledger
