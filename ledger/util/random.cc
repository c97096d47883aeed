#include "ledger/util/random.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "ledger/util/encoding.h"

namespace certledger {
namespace {

std::string uuid_v7_bytes(int64_t unix_ms) {
  std::string b = random_bytes(16);
  auto ms = static_cast<uint64_t>(unix_ms);
  for (int i = 0; i < 6; ++i) b[i] = static_cast<char>((ms >> (40 - 8 * i)) & 0xff);
  b[6] = static_cast<char>((b[6] & 0x0f) | 0x70);  // version 7
  b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);  // variant 10
  return b;
}

}  // namespace

std::string random_bytes(size_t n) {
  std::string out(n, '\0');
  // The calling thread's own public DRBG, the one RAND_bytes() draws from.
  // RAND_bytes() itself first takes a process-wide write lock (OpenSSL 3.0's
  // RAND_get_rand_method), which many submitters contend for.
  EVP_RAND_CTX* drbg = RAND_get0_public(nullptr);
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  for (size_t done = 0; done < n;) {
    const size_t chunk = std::min<size_t>(n - done, 4096);
    if (!drbg || EVP_RAND_generate(drbg, p + done, chunk, 0, 0, nullptr, 0) != 1) {
      if (RAND_bytes(p + done, static_cast<int>(chunk)) != 1) throw std::runtime_error("RAND_bytes failed");
    }
    done += chunk;
  }
  return out;
}

std::string uuid_v7(int64_t unix_ms) {
  std::string h = hex_encode(uuid_v7_bytes(unix_ms));
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

std::string new_public_token() { return base64url_encode(random_bytes(16)); }

std::string new_certificate_id(int64_t unix_ms) { return base32_crockford(uuid_v7_bytes(unix_ms)); }

}  // namespace certledger
