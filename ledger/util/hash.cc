#include "ledger/util/hash.h"

#include <openssl/evp.h>

#include <stdexcept>

#include "ledger/util/encoding.h"

namespace certledger {
namespace {

const EVP_MD* sha256_md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

struct MdCtx {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~MdCtx() { EVP_MD_CTX_free(ctx); }
};

}  // namespace

Hash256 sha256_parts(std::initializer_list<std::string_view> parts) {
  // One context per thread, reused: a fresh context per call costs more than
  // hashing a 600-byte record.
  thread_local MdCtx c;
  Hash256 out{};
  unsigned int len = 0;
  if (EVP_DigestInit_ex2(c.ctx, sha256_md(), nullptr) != 1) throw std::runtime_error("sha256 init");
  for (auto p : parts) EVP_DigestUpdate(c.ctx, p.data(), p.size());
  EVP_DigestFinal_ex(c.ctx, out.data(), &len);
  return out;
}

Hash256 sha256(std::string_view data) { return sha256_parts({data}); }

std::string hash_bytes(const Hash256& h) { return std::string(reinterpret_cast<const char*>(h.data()), h.size()); }

std::string hash_hex(const Hash256& h) { return hex_encode(hash_bytes(h)); }

std::optional<Hash256> hash_from_bytes(std::string_view bytes) {
  if (bytes.size() != 32) return std::nullopt;
  Hash256 h;
  std::copy(bytes.begin(), bytes.end(), h.begin());
  return h;
}

}  // namespace certledger
