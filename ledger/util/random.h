// Cryptographic randomness (OpenSSL RAND_bytes) and identifiers built on it.
#pragma once

#include <cstdint>
#include <string>

namespace certledger {

std::string random_bytes(size_t n);

// RFC 9562 UUID version 7: 48-bit Unix milliseconds, version, 74 random bits.
// Text form, lower case, 8-4-4-4-12.
std::string uuid_v7(int64_t unix_ms);

// A public QR token: 128 random bits, base64url (22 characters). Never
// derived from any data.
std::string new_public_token();

// A certificate id: 26 Crockford base32 characters of a UUIDv7 (time-sortable,
// only 0-9 A-Z, so it can serve as the serial of the e-license identifier).
std::string new_certificate_id(int64_t unix_ms);

}  // namespace certledger
