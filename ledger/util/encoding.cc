#include "ledger/util/encoding.h"

#include <array>
#include <charconv>

namespace certledger {
namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kB64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::array<int8_t, 256> reverse_table(const char* alphabet) {
  std::array<int8_t, 256> t{};
  t.fill(-1);
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = static_cast<int8_t>(i);
  return t;
}

// Whole 3-byte groups first, into a buffer sized once; then the 1 or 2
// bytes left over.
std::string encode64(std::string_view in, const char* alphabet, bool pad) {
  const size_t full = in.size() / 3, rest = in.size() % 3;
  std::string out(full * 4 + (rest == 0 ? 0 : pad ? 4 : rest + 1), '\0');
  const auto* src = reinterpret_cast<const unsigned char*>(in.data());
  char* dst = out.data();
  for (size_t i = 0; i < full; ++i, src += 3, dst += 4) {
    const uint32_t v = (uint32_t(src[0]) << 16) | (uint32_t(src[1]) << 8) | src[2];
    dst[0] = alphabet[(v >> 18) & 63];
    dst[1] = alphabet[(v >> 12) & 63];
    dst[2] = alphabet[(v >> 6) & 63];
    dst[3] = alphabet[v & 63];
  }
  if (rest) {
    const uint32_t v = (uint32_t(src[0]) << 16) | (rest == 2 ? uint32_t(src[1]) << 8 : 0);
    dst[0] = alphabet[(v >> 18) & 63];
    dst[1] = alphabet[(v >> 12) & 63];
    if (rest == 2) dst[2] = alphabet[(v >> 6) & 63];
    if (pad) {
      if (rest == 1) dst[2] = '=';
      dst[3] = '=';
    }
  }
  return out;
}

// Four characters at a time into a buffer sized once. Rejects characters
// outside the alphabet and non-canonical text (leftover bits not zero).
std::optional<std::string> decode64(std::string_view in, const std::array<int8_t, 256>& table, bool padded) {
  if (padded) {
    if (in.size() % 4 != 0) return std::nullopt;
    size_t pad = 0;
    while (pad < 2 && !in.empty() && in.back() == '=') {
      in.remove_suffix(1);
      ++pad;
    }
  }
  const size_t full = in.size() / 4, rest = in.size() % 4;
  if (rest == 1) return std::nullopt;
  std::string out(full * 3 + (rest ? rest - 1 : 0), '\0');
  const auto* src = reinterpret_cast<const unsigned char*>(in.data());
  char* dst = out.data();
  for (size_t i = 0; i < full; ++i, src += 4, dst += 3) {
    const int a = table[src[0]], b = table[src[1]], c = table[src[2]], d = table[src[3]];
    if ((a | b | c | d) < 0) return std::nullopt;
    const uint32_t v = (uint32_t(a) << 18) | (uint32_t(b) << 12) | (uint32_t(c) << 6) | uint32_t(d);
    dst[0] = static_cast<char>(v >> 16);
    dst[1] = static_cast<char>(v >> 8);
    dst[2] = static_cast<char>(v);
  }
  if (rest) {
    const int a = table[src[0]], b = table[src[1]], c = rest == 3 ? table[src[2]] : 0;
    if ((a | b | c) < 0) return std::nullopt;
    const uint32_t v = (uint32_t(a) << 18) | (uint32_t(b) << 12) | (uint32_t(c) << 6);
    // Canonical form: the bits after the last whole byte must be zero.
    if ((rest == 2 && (v & 0xffff)) || (rest == 3 && (v & 0xff))) return std::nullopt;
    dst[0] = static_cast<char>(v >> 16);
    if (rest == 3) dst[1] = static_cast<char>(v >> 8);
  }
  return out;
}

}  // namespace

std::string hex_encode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::optional<std::string> hex_decode(std::string_view hex) {
  if (hex.size() % 2) return std::nullopt;
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = hex_value(hex[i]), lo = hex_value(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

std::string base64_encode(std::string_view bytes) { return encode64(bytes, kB64, true); }

std::optional<std::string> base64_decode(std::string_view text) {
  static const auto table = reverse_table(kB64);
  return decode64(text, table, true);
}

std::string base64url_encode(std::string_view bytes) { return encode64(bytes, kB64Url, false); }

std::optional<std::string> base64url_decode(std::string_view text) {
  static const auto table = reverse_table(kB64Url);
  return decode64(text, table, false);
}

std::string base32_crockford(std::string_view bytes) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += kCrockford[(acc >> bits) & 31];
    }
  }
  if (bits > 0) out += kCrockford[(acc << (5 - bits)) & 31];
  return out;
}

void put_be64(std::string& out, uint64_t v) {
  for (int s = 56; s >= 0; s -= 8) out += static_cast<char>((v >> s) & 0xff);
}

uint64_t get_be64(std::string_view in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

std::vector<std::string_view> split_lines(std::string_view s) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < s.size()) {
    auto nl = s.find('\n', start);
    if (nl == std::string_view::npos) {
      lines.push_back(s.substr(start));
      break;
    }
    lines.push_back(s.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

void put_be32(std::string& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out += static_cast<char>((v >> s) & 0xff);
}

uint32_t get_be32(std::string_view in) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

std::string be64(uint64_t v) {
  std::string s;
  s.reserve(8);
  put_be64(s, v);
  return s;
}

std::optional<uint64_t> parse_decimal(std::string_view text, size_t max_digits) {
  if (text.empty() || text.size() > max_digits) return std::nullopt;
  for (char c : text)
    if (c < '0' || c > '9') return std::nullopt;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;  // out of range
  return v;
}

}  // namespace certledger
