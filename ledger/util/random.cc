#include "ledger/util/random.h"

#include <openssl/evp.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
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

namespace {

void draw(unsigned char* p, size_t n) {
  // The calling thread's own public DRBG, the one RAND_bytes() draws from.
  // RAND_bytes() itself first takes a process-wide write lock (OpenSSL 3.0's
  // RAND_get_rand_method), which many submitters contend for.
  EVP_RAND_CTX* drbg = RAND_get0_public(nullptr);
  for (size_t done = 0; done < n;) {
    const size_t chunk = std::min<size_t>(n - done, 4096);
    if (!drbg || EVP_RAND_generate(drbg, p + done, chunk, 0, 0, nullptr, 0) != 1) {
      if (RAND_bytes(p + done, static_cast<int>(chunk)) != 1) throw std::runtime_error("RAND_bytes failed");
    }
    done += chunk;
  }
}

// A DRBG call costs about the same for 12 bytes as for 256 (~0.7-1 µs, an
// AES-CTR-DRBG update on each side of the output), and a record of a person
// draws six to eight small values: each thread keeps a small pool of the
// DRBG's output, handing each byte out once and wiping it as it goes. A
// forked child must never hand out its parent's bytes again (two GCM IVs
// alike would break the cipher): fork() bumps a generation that empties
// every pool before its next use.
std::atomic<uint64_t> fork_generation{0};

struct Pool {
  static constexpr size_t kSize = 512;
  unsigned char bytes[kSize];
  size_t used = kSize;
  uint64_t generation = 0;
  Pool() {
    static std::once_flag registered;
    std::call_once(registered, [] { pthread_atfork(nullptr, nullptr, [] { fork_generation.fetch_add(1); }); });
  }
  ~Pool() { OPENSSL_cleanse(bytes, kSize); }
};

}  // namespace

std::string random_bytes(size_t n) {
  std::string out(n, '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  if (n > Pool::kSize / 4) {
    draw(p, n);
    return out;
  }
  thread_local Pool pool;
  const uint64_t gen = fork_generation.load(std::memory_order_relaxed);
  if (pool.generation != gen || pool.used + n > Pool::kSize) {
    draw(pool.bytes, Pool::kSize);
    pool.used = 0;
    pool.generation = gen;
  }
  std::memcpy(p, pool.bytes + pool.used, n);
  OPENSSL_cleanse(pool.bytes + pool.used, n);
  pool.used += n;
  return out;
}

std::string uuid_v7(int64_t unix_ms) {
  std::string h = hex_encode(uuid_v7_bytes(unix_ms));
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

std::string new_public_token() { return base64url_encode(random_bytes(16)); }

std::string new_certificate_id(int64_t unix_ms) { return base32_crockford(uuid_v7_bytes(unix_ms)); }

}  // namespace certledger
