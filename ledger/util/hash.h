// SHA-256 through OpenSSL EVP with the digest fetched once.
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace certledger {

using Hash256 = std::array<unsigned char, 32>;

Hash256 sha256(std::string_view data);
// SHA-256 over the concatenation of parts, without copying them together.
Hash256 sha256_parts(std::initializer_list<std::string_view> parts);
std::string hash_bytes(const Hash256& h);  // the 32 raw bytes as a string
std::string hash_hex(const Hash256& h);

}  // namespace certledger
