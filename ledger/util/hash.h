// SHA-256 through OpenSSL EVP with the digest fetched once.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace certledger {

using Hash256 = std::array<unsigned char, 32>;

Hash256 sha256(std::string_view data);
// SHA-256 over the concatenation of parts, without copying them together.
Hash256 sha256_parts(std::initializer_list<std::string_view> parts);
std::string hash_bytes(const Hash256& h);  // the 32 raw bytes as a string
// The 32 raw bytes in place, without a copy.
inline std::string_view hash_view(const Hash256& h) { return {reinterpret_cast<const char*>(h.data()), h.size()}; }
// A hash from 32 raw bytes; nullopt for any other length.
std::optional<Hash256> hash_from_bytes(std::string_view bytes);
std::string hash_hex(const Hash256& h);

}  // namespace certledger
