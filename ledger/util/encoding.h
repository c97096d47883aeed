// Byte encodings: hex, base64 (RFC 4648 §4), base64url without padding
// (§5, as JOSE uses it), Crockford base32, big-endian integers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace certledger {

std::string hex_encode(std::string_view bytes);
std::optional<std::string> hex_decode(std::string_view hex);

std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

std::string base64url_encode(std::string_view bytes);
// Strict: rejects padding, whitespace and non-canonical trailing bits.
std::optional<std::string> base64url_decode(std::string_view text);

// An unsigned decimal of 1 to max_digits ASCII digits (no sign, space or
// other character) that fits in 64 bits; nullopt otherwise. Every number that
// arrives as text (query parameters, Kafka headers, checkpoint sizes) is read
// with this: nothing that throws, nothing that wraps.
std::optional<uint64_t> parse_decimal(std::string_view text, size_t max_digits = 19);

// Crockford base32 (0-9 A-Z without I L O U), upper case, no padding.
std::string base32_crockford(std::string_view bytes);

void put_be64(std::string& out, uint64_t v);
uint64_t get_be64(std::string_view in);  // REQUIRES: in.size() >= 8
std::string be64(uint64_t v);
// The lines of a text, without their '\n' (a last line without one counts).
std::vector<std::string_view> split_lines(std::string_view s);
void put_be32(std::string& out, uint32_t v);
uint32_t get_be32(std::string_view in);  // REQUIRES: in.size() >= 4

}  // namespace certledger
