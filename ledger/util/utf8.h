// UTF-8 checks for text that reaches a signed event or a document.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace certledger {

// Number of code points if `s` is well-formed UTF-8 (no overlongs, no
// surrogates, nothing above U+10FFFF), else nullopt.
std::optional<size_t> utf8_length(std::string_view s);
bool is_valid_utf8(std::string_view s);
// True when s holds a C0/C1 control character other than none allowed.
bool has_control_chars(std::string_view s);
// Decode into code points. REQUIRES: is_valid_utf8(s).
std::u32string utf8_decode(std::string_view s);
std::string utf8_encode(char32_t cp);

}  // namespace certledger
