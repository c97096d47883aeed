#include "ledger/crypto/seal.h"

#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ledger/crypto/keys.h"
#include "ledger/util/encoding.h"
#include "ledger/util/random.h"

namespace certledger::crypto {

namespace {

struct CipherCtx {
  EVP_CIPHER_CTX* p = EVP_CIPHER_CTX_new();
  ~CipherCtx() { EVP_CIPHER_CTX_free(p); }
};

const unsigned char* u8(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
unsigned char* u8(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

Error bad_key(size_t want, size_t got) {
  return make_error(Errc::invalid_argument,
                    "a key of " + std::to_string(want) + " bytes is needed, not " + std::to_string(got));
}

// Algorithms fetched once: OpenSSL 3's implicit fetches (EVP_aes_256_gcm()
// at each init, the one-shot HMAC()) look the provider up on every call,
// which cost more than the sealing itself on the write path.
const EVP_CIPHER* aes_gcm() {
  static EVP_CIPHER* c = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return c;
}
const EVP_CIPHER* aes_wrap() {
  static EVP_CIPHER* c = EVP_CIPHER_fetch(nullptr, "AES-256-WRAP", nullptr);
  return c;
}
const EVP_MD* sha256_md() {
  static EVP_MD* m = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return m;
}

// Encrypts whole 16-byte blocks with a block cipher in ECB mode.
Result<std::string> ecb(std::string_view cipher_name, std::string_view key, std::string_view blocks) {
  std::unique_ptr<EVP_CIPHER, decltype(&EVP_CIPHER_free)> cipher(
      EVP_CIPHER_fetch(nullptr, std::string(cipher_name).c_str(), nullptr), EVP_CIPHER_free);
  if (!cipher) return make_error(Errc::internal, std::string(cipher_name) + " is not available: " + openssl_error());
  if (static_cast<size_t>(EVP_CIPHER_get_key_length(cipher.get())) != key.size())
    return bad_key(static_cast<size_t>(EVP_CIPHER_get_key_length(cipher.get())), key.size());
  CipherCtx ctx;
  std::string out(blocks.size() + 16, '\0');
  int n = 0, m = 0;
  if (EVP_EncryptInit_ex2(ctx.p, cipher.get(), u8(key), nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.p, 0) != 1 ||
      EVP_EncryptUpdate(ctx.p, u8(out), &n, u8(blocks), static_cast<int>(blocks.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.p, u8(out) + n, &m) != 1)
    return make_error(Errc::internal, std::string(cipher_name) + ": " + openssl_error());
  out.resize(static_cast<size_t>(n + m));
  return out;
}

// GF(2^128) in GCM's bit order (NIST SP 800-38D §6.3), as two big-endian
// 64-bit halves.
struct Block {
  uint64_t hi = 0, lo = 0;
};
Block load(const unsigned char* p) {
  Block b;
  for (int i = 0; i < 8; ++i) b.hi = (b.hi << 8) | p[i];
  for (int i = 8; i < 16; ++i) b.lo = (b.lo << 8) | p[i];
  return b;
}
void store(Block b, unsigned char* p) {
  for (int i = 7; i >= 0; --i, b.hi >>= 8) p[i] = static_cast<unsigned char>(b.hi);
  for (int i = 15; i >= 8; --i, b.lo >>= 8) p[i] = static_cast<unsigned char>(b.lo);
}
Block gf_mul(Block x, Block y) {
  Block z, v = y;
  for (int i = 0; i < 128; ++i) {
    const uint64_t bit = i < 64 ? (x.hi >> (63 - i)) & 1 : (x.lo >> (127 - i)) & 1;
    if (bit) {
      z.hi ^= v.hi;
      z.lo ^= v.lo;
    }
    const bool lsb = v.lo & 1;
    v.lo = (v.lo >> 1) | (v.hi << 63);
    v.hi >>= 1;
    if (lsb) v.hi ^= 0xe100000000000000ULL;
  }
  return z;
}

class Ghash {
 public:
  explicit Ghash(Block h) : h_(h) {}
  void update(std::string_view data) {  // zero-padded to whole blocks
    for (size_t i = 0; i < data.size(); i += 16) {
      unsigned char block[16] = {};
      std::memcpy(block, data.data() + i, std::min<size_t>(16, data.size() - i));
      Block b = load(block);
      y_.hi ^= b.hi;
      y_.lo ^= b.lo;
      y_ = gf_mul(y_, h_);
    }
  }
  Block finish(uint64_t aad_bytes, uint64_t text_bytes) {
    y_.hi ^= aad_bytes * 8;
    y_.lo ^= text_bytes * 8;
    return gf_mul(y_, h_);
  }

 private:
  Block h_, y_;
};

}  // namespace

const char* aead_name(Aead a) { return a == Aead::sm4gcm ? "SM4GCM" : "A256GCM"; }

Result<Aead> parse_aead(std::string_view name) {
  if (name == "A256GCM" || name == "aes-256-gcm") return Aead::a256gcm;
  if (name == "SM4GCM" || name == "sm4-gcm") return Aead::sm4gcm;
  return make_error(Errc::invalid_argument,
                    "unknown content encryption \"" + std::string(name) + "\" (A256GCM or SM4GCM)");
}

size_t aead_key_size(Aead a) { return a == Aead::sm4gcm ? 16 : 32; }

Result<std::string> gcm_compose(std::string_view ecb_cipher, std::string_view key, std::string_view iv,
                                std::string_view aad, std::string_view data, bool encrypt, std::string* tag) {
  if (iv.size() != 12) return make_error(Errc::invalid_argument, "a GCM IV is 12 bytes");
  CL_ASSIGN(std::string h, ecb(ecb_cipher, key, std::string(16, '\0')));
  // Counter blocks J0, inc32(J0), ...: J0 masks the tag, the rest the text.
  const size_t nblocks = (data.size() + 15) / 16;
  std::string counters;
  counters.reserve((nblocks + 1) * 16);
  for (uint32_t i = 1; i <= nblocks + 1; ++i) {
    counters += iv;
    counters += static_cast<char>(i >> 24);
    counters += static_cast<char>(i >> 16);
    counters += static_cast<char>(i >> 8);
    counters += static_cast<char>(i);
  }
  CL_ASSIGN(std::string stream, ecb(ecb_cipher, key, counters));
  std::string out(data);
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<char>(out[i] ^ stream[16 + i]);
  Ghash g(load(u8(h)));
  g.update(aad);
  g.update(encrypt ? std::string_view(out) : data);
  Block s = g.finish(aad.size(), data.size());
  unsigned char t[16];
  store(s, t);
  for (int i = 0; i < 16; ++i) t[i] ^= static_cast<unsigned char>(stream[static_cast<size_t>(i)]);
  *tag = std::string(reinterpret_cast<char*>(t), 16);
  return out;
}

Result<std::string> aead_seal(Aead a, std::string_view key, std::string_view iv, std::string_view aad,
                              std::string_view plaintext) {
  if (key.size() != aead_key_size(a)) return bad_key(aead_key_size(a), key.size());
  if (iv.size() != 12) return make_error(Errc::invalid_argument, "a GCM IV is 12 bytes");
  if (a == Aead::sm4gcm) {
    std::string tag;
    CL_ASSIGN(std::string ct, gcm_compose("SM4-ECB", key, iv, aad, plaintext, true, &tag));
    return ct + tag;
  }
  CipherCtx ctx;
  std::string out(plaintext.size() + 16, '\0');
  int n = 0, m = 0;
  if (EVP_EncryptInit_ex2(ctx.p, aes_gcm(), u8(key), u8(iv), nullptr) != 1 ||
      (!aad.empty() && EVP_EncryptUpdate(ctx.p, nullptr, &n, u8(aad), static_cast<int>(aad.size())) != 1) ||
      EVP_EncryptUpdate(ctx.p, u8(out), &n, u8(plaintext), static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.p, u8(out) + n, &m) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.p, EVP_CTRL_GCM_GET_TAG, 16, u8(out) + plaintext.size()) != 1)
    return make_error(Errc::internal, "AES-256-GCM: " + openssl_error());
  return out;
}

Result<std::string> aead_open(Aead a, std::string_view key, std::string_view iv, std::string_view aad,
                              std::string_view sealed) {
  if (key.size() != aead_key_size(a)) return bad_key(aead_key_size(a), key.size());
  if (iv.size() != 12) return make_error(Errc::invalid_argument, "a GCM IV is 12 bytes");
  if (sealed.size() < 16) return make_error(Errc::invalid_argument, "ciphertext shorter than its tag");
  const std::string_view ct = sealed.substr(0, sealed.size() - 16), tag = sealed.substr(sealed.size() - 16);
  if (a == Aead::sm4gcm) {
    std::string expected;
    CL_ASSIGN(std::string pt, gcm_compose("SM4-ECB", key, iv, aad, ct, false, &expected));
    if (!equal_secret(expected, tag))
      return make_error(Errc::corruption, "the ciphertext does not authenticate (wrong key or altered)");
    return pt;
  }
  CipherCtx ctx;
  std::string out(ct.size() + 16, '\0');
  int n = 0, m = 0;
  std::string t(tag);
  if (EVP_DecryptInit_ex2(ctx.p, aes_gcm(), u8(key), u8(iv), nullptr) != 1 ||
      (!aad.empty() && EVP_DecryptUpdate(ctx.p, nullptr, &n, u8(aad), static_cast<int>(aad.size())) != 1) ||
      EVP_DecryptUpdate(ctx.p, u8(out), &n, u8(ct), static_cast<int>(ct.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.p, EVP_CTRL_GCM_SET_TAG, 16, u8(t)) != 1)
    return make_error(Errc::internal, "AES-256-GCM: " + openssl_error());
  if (EVP_DecryptFinal_ex(ctx.p, u8(out) + n, &m) != 1) {
    openssl_error();
    return make_error(Errc::corruption, "the ciphertext does not authenticate (wrong key or altered)");
  }
  out.resize(static_cast<size_t>(n + m));
  return out;
}

Result<std::string> key_wrap(std::string_view kek, std::string_view key) {
  if (kek.size() != 32) return bad_key(32, kek.size());
  if (key.size() < 16 || key.size() % 8 != 0)
    return make_error(Errc::invalid_argument, "a wrapped key is a multiple of 8 bytes, at least 16");
  CipherCtx ctx;
  EVP_CIPHER_CTX_set_flags(ctx.p, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  std::string out(key.size() + 8, '\0');
  int n = 0, m = 0;
  if (EVP_EncryptInit_ex2(ctx.p, aes_wrap(), u8(kek), nullptr, nullptr) != 1 ||
      EVP_EncryptUpdate(ctx.p, u8(out), &n, u8(key), static_cast<int>(key.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.p, u8(out) + n, &m) != 1)
    return make_error(Errc::internal, "AES key wrap: " + openssl_error());
  out.resize(static_cast<size_t>(n + m));
  return out;
}

Result<std::string> key_unwrap(std::string_view kek, std::string_view wrapped) {
  if (kek.size() != 32) return bad_key(32, kek.size());
  if (wrapped.size() < 24 || wrapped.size() % 8 != 0)
    return make_error(Errc::invalid_argument, "a wrapped key is a multiple of 8 bytes, at least 24");
  CipherCtx ctx;
  EVP_CIPHER_CTX_set_flags(ctx.p, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  std::string out(wrapped.size(), '\0');
  int n = 0, m = 0;
  if (EVP_DecryptInit_ex2(ctx.p, aes_wrap(), u8(kek), nullptr, nullptr) != 1 ||
      EVP_DecryptUpdate(ctx.p, u8(out), &n, u8(wrapped), static_cast<int>(wrapped.size())) != 1 ||
      EVP_DecryptFinal_ex(ctx.p, u8(out) + n, &m) != 1) {
    openssl_error();
    return make_error(Errc::corruption, "the wrapped key does not unwrap (another key-encryption key?)");
  }
  out.resize(static_cast<size_t>(n + m));
  return out;
}

// RFC 2104 over the fetched SHA-256 (checked against OpenSSL's HMAC in
// tests/unit/sealing_test.cc).
std::string hmac_sha256(std::string_view key, std::string_view message) {
  unsigned char k[64] = {};
  if (key.size() > 64) {
    unsigned int n = 0;
    EVP_Digest(key.data(), key.size(), k, &n, sha256_md(), nullptr);
  } else {
    std::memcpy(k, key.data(), key.size());
  }
  unsigned char pad[64], inner[32], out[32];
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  for (int i = 0; i < 64; ++i) pad[i] = k[i] ^ 0x36;
  EVP_DigestInit_ex2(ctx, sha256_md(), nullptr);
  EVP_DigestUpdate(ctx, pad, 64);
  EVP_DigestUpdate(ctx, message.data(), message.size());
  EVP_DigestFinal_ex(ctx, inner, nullptr);
  for (int i = 0; i < 64; ++i) pad[i] = k[i] ^ 0x5c;
  EVP_DigestInit_ex2(ctx, sha256_md(), nullptr);
  EVP_DigestUpdate(ctx, pad, 64);
  EVP_DigestUpdate(ctx, inner, 32);
  EVP_DigestFinal_ex(ctx, out, nullptr);
  EVP_MD_CTX_free(ctx);
  return std::string(reinterpret_cast<char*>(out), 32);
}

std::string hkdf_sha256(std::string_view ikm, std::string_view salt, std::string_view info, size_t length) {
  // RFC 5869 written out: extract, then expand.
  const std::string prk = hmac_sha256(salt.empty() ? std::string(32, '\0') : std::string(salt), ikm);
  std::string out, t;
  for (unsigned char i = 1; out.size() < length; ++i) {
    t = hmac_sha256(prk, t + std::string(info) + static_cast<char>(i));
    out += t;
  }
  out.resize(length);
  return out;
}

bool equal_secret(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Result<std::string> jwe_encrypt(Aead a, std::string_view key, std::string_view kid, std::string_view cty,
                                std::string_view plaintext) {
  nlohmann::json h = {{"alg", "dir"}, {"cty", cty}, {"enc", aead_name(a)}, {"kid", kid}};
  const std::string header = base64url_encode(h.dump());
  const std::string iv = random_bytes(12);
  CL_ASSIGN(std::string sealed, aead_seal(a, key, iv, header, plaintext));
  const std::string_view ct = std::string_view(sealed).substr(0, sealed.size() - 16);
  const std::string_view tag = std::string_view(sealed).substr(sealed.size() - 16);
  return header + ".." + base64url_encode(iv) + "." + base64url_encode(ct) + "." + base64url_encode(tag);
}

namespace {

struct Compact {
  std::string_view header, iv, ct, tag;
};

Result<Compact> split_compact(std::string_view s) {
  Compact c;
  std::string_view parts[5];
  for (int i = 0; i < 5; ++i) {
    auto dot = s.find('.');
    if ((dot == std::string_view::npos) != (i == 4))
      return make_error(Errc::invalid_argument, "a compact JWE has five parts separated by dots");
    parts[i] = s.substr(0, dot);
    if (dot != std::string_view::npos) s.remove_prefix(dot + 1);
  }
  if (!parts[1].empty()) return make_error(Errc::invalid_argument, "a \"dir\" JWE has an empty encrypted key");
  c.header = parts[0];
  c.iv = parts[2];
  c.ct = parts[3];
  c.tag = parts[4];
  return c;
}

}  // namespace

Result<JweParts> jwe_header(std::string_view compact) {
  CL_ASSIGN(Compact c, split_compact(compact));
  auto text = base64url_decode(c.header);
  if (!text) return make_error(Errc::invalid_argument, "the JWE header is not base64url");
  auto h = nlohmann::json::parse(*text, nullptr, false);
  if (!h.is_object() || h.value("alg", "") != "dir" || !h.contains("enc") || !h["enc"].is_string() ||
      !h.contains("kid") || !h["kid"].is_string())
    return make_error(Errc::invalid_argument, "the JWE header is not {\"alg\":\"dir\",\"enc\",\"kid\"}");
  JweParts p;
  CL_ASSIGN(p.enc, parse_aead(h["enc"].get<std::string>()));
  p.kid = h["kid"].get<std::string>();
  p.cty = h.value("cty", "");
  return p;
}

Result<std::string> jwe_decrypt(std::string_view key, std::string_view compact) {
  CL_ASSIGN(JweParts p, jwe_header(compact));
  CL_ASSIGN(Compact c, split_compact(compact));
  auto iv = base64url_decode(c.iv);
  auto ct = base64url_decode(c.ct);
  auto tag = base64url_decode(c.tag);
  if (!iv || !ct || !tag || tag->size() != 16 || iv->size() != 12)
    return make_error(Errc::invalid_argument, "the JWE's IV, ciphertext or tag is malformed");
  return aead_open(p.enc, key, *iv, c.header, *ct + *tag);
}

namespace {

struct Pkey {
  EVP_PKEY* p = nullptr;
  ~Pkey() { EVP_PKEY_free(p); }
};

Result<std::string> x25519_shared(std::string_view private_raw, std::string_view public_raw) {
  if (private_raw.size() != 32 || public_raw.size() != 32)
    return make_error(Errc::invalid_argument, "X25519 keys are 32 bytes");
  Pkey mine, theirs;
  mine.p = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, u8(private_raw), 32);
  theirs.p = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, u8(public_raw), 32);
  if (!mine.p || !theirs.p) return make_error(Errc::invalid_argument, "X25519 key: " + openssl_error());
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(mine.p, nullptr);
  std::string z(32, '\0');
  size_t len = 32;
  const bool ok = ctx && EVP_PKEY_derive_init(ctx) == 1 && EVP_PKEY_derive_set_peer(ctx, theirs.p) == 1 &&
                  EVP_PKEY_derive(ctx, u8(z), &len) == 1 && len == 32;
  EVP_PKEY_CTX_free(ctx);
  if (!ok) return make_error(Errc::invalid_argument, "X25519 agreement failed: " + openssl_error());
  return z;
}

// RFC 7518 §4.6.2 Concat KDF for 256 bits: one SHA-256 round.
std::string concat_kdf(std::string_view z, std::string_view algorithm_id) {
  auto be32 = [](uint32_t v) {
    std::string s(4, '\0');
    for (int i = 0; i < 4; ++i) s[static_cast<size_t>(i)] = static_cast<char>(v >> (24 - 8 * i));
    return s;
  };
  std::string m = be32(1) + std::string(z) + be32(static_cast<uint32_t>(algorithm_id.size())) +
                  std::string(algorithm_id) + be32(0) + be32(0) + be32(256);
  unsigned char out[32];
  EVP_Digest(m.data(), m.size(), out, nullptr, sha256_md(), nullptr);
  return std::string(reinterpret_cast<char*>(out), 32);
}

}  // namespace

Result<std::string> jwe_ecdh_es_encrypt(std::string_view recipient_public_raw, std::string_view kid,
                                        std::string_view plaintext) {
  Pkey eph;
  eph.p = EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519");
  if (!eph.p) return make_error(Errc::internal, "X25519 key generation: " + openssl_error());
  std::string priv(32, '\0'), pub(32, '\0');
  size_t len = 32;
  if (EVP_PKEY_get_raw_private_key(eph.p, u8(priv), &len) != 1 ||
      EVP_PKEY_get_raw_public_key(eph.p, u8(pub), &len) != 1)
    return make_error(Errc::internal, "X25519 raw key: " + openssl_error());
  CL_ASSIGN(std::string z, x25519_shared(priv, recipient_public_raw));
  const std::string cek = concat_kdf(z, "A256GCM");
  nlohmann::json h = {{"alg", "ECDH-ES"},
                      {"enc", "A256GCM"},
                      {"epk", {{"crv", "X25519"}, {"kty", "OKP"}, {"x", base64url_encode(pub)}}},
                      {"kid", kid}};
  const std::string header = base64url_encode(h.dump());
  const std::string iv = random_bytes(12);
  CL_ASSIGN(std::string sealed, aead_seal(Aead::a256gcm, cek, iv, header, plaintext));
  return header + ".." + base64url_encode(iv) + "." + base64url_encode(sealed.substr(0, sealed.size() - 16)) + "." +
         base64url_encode(sealed.substr(sealed.size() - 16));
}

Result<std::string> jwe_ecdh_es_decrypt(std::string_view recipient_private_raw, std::string_view compact) {
  CL_ASSIGN(Compact c, split_compact(compact));
  auto text = base64url_decode(c.header);
  auto h = text ? nlohmann::json::parse(*text, nullptr, false) : nlohmann::json();
  if (!h.is_object() || h.value("alg", "") != "ECDH-ES" || h.value("enc", "") != "A256GCM" || !h.contains("epk") ||
      !h["epk"].is_object() || h["epk"].value("crv", "") != "X25519" || !h["epk"].contains("x") ||
      !h["epk"]["x"].is_string())
    return make_error(Errc::invalid_argument, "not an ECDH-ES / X25519 / A256GCM JWE");
  auto epk = base64url_decode(h["epk"]["x"].get<std::string>());
  auto iv = base64url_decode(c.iv);
  auto ct = base64url_decode(c.ct);
  auto tag = base64url_decode(c.tag);
  if (!epk || !iv || !ct || !tag || tag->size() != 16 || iv->size() != 12)
    return make_error(Errc::invalid_argument, "the JWE's key, IV, ciphertext or tag is malformed");
  CL_ASSIGN(std::string z, x25519_shared(recipient_private_raw, *epk));
  return aead_open(Aead::a256gcm, concat_kdf(z, "A256GCM"), *iv, c.header, *ct + *tag);
}

namespace {

// The five parts of a compact JWE, the encrypted key allowed.
Result<std::array<std::string_view, 5>> five_parts(std::string_view s) {
  std::array<std::string_view, 5> parts;
  for (int i = 0; i < 5; ++i) {
    auto dot = s.find('.');
    if ((dot == std::string_view::npos) != (i == 4))
      return make_error(Errc::invalid_argument, "a compact JWE has five parts separated by dots");
    parts[static_cast<size_t>(i)] = s.substr(0, dot);
    if (dot != std::string_view::npos) s.remove_prefix(dot + 1);
  }
  return parts;
}

}  // namespace

Result<std::string> jwe_alg(std::string_view compact) {
  CL_ASSIGN(auto parts, five_parts(compact));
  auto text = base64url_decode(parts[0]);
  auto h = text ? nlohmann::json::parse(*text, nullptr, false) : nlohmann::json();
  if (!h.is_object() || !h.contains("alg") || !h["alg"].is_string())
    return make_error(Errc::invalid_argument, "the JWE header has no alg");
  return h["alg"].get<std::string>();
}

Result<std::string> jwe_sm2_encrypt(const PublicKey& recipient, std::string_view kid, std::string_view plaintext) {
  if (recipient.alg() != KeyAlg::sm2) return make_error(Errc::invalid_argument, "not an SM2 key");
  const std::string cek = random_bytes(32);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, recipient.pkey(), nullptr);
  size_t len = 0;
  std::string ek;
  bool ok = ctx && EVP_PKEY_encrypt_init(ctx) == 1 && EVP_PKEY_encrypt(ctx, nullptr, &len, u8(cek), cek.size()) == 1;
  if (ok) {
    ek.resize(len);
    ok = EVP_PKEY_encrypt(ctx, u8(ek), &len, u8(cek), cek.size()) == 1;
    ek.resize(len);
  }
  EVP_PKEY_CTX_free(ctx);
  if (!ok) return make_error(Errc::internal, "SM2 encryption: " + openssl_error());
  nlohmann::json h = {{"alg", "SM2"}, {"enc", "A256GCM"}, {"kid", kid}};
  const std::string header = base64url_encode(h.dump());
  const std::string iv = random_bytes(12);
  CL_ASSIGN(std::string sealed, aead_seal(Aead::a256gcm, cek, iv, header, plaintext));
  return header + "." + base64url_encode(ek) + "." + base64url_encode(iv) + "." +
         base64url_encode(sealed.substr(0, sealed.size() - 16)) + "." +
         base64url_encode(sealed.substr(sealed.size() - 16));
}

Result<std::string> jwe_sm2_decrypt(const PrivateKey& recipient, std::string_view compact) {
  CL_ASSIGN(auto parts, five_parts(compact));
  CL_ASSIGN(std::string alg, jwe_alg(compact));
  if (alg != "SM2") return make_error(Errc::invalid_argument, "not an SM2 JWE");
  auto ek = base64url_decode(parts[1]);
  auto iv = base64url_decode(parts[2]);
  auto ct = base64url_decode(parts[3]);
  auto tag = base64url_decode(parts[4]);
  if (!ek || !iv || !ct || !tag || tag->size() != 16 || iv->size() != 12)
    return make_error(Errc::invalid_argument, "the JWE's key, IV, ciphertext or tag is malformed");
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, recipient.pkey(), nullptr);
  size_t len = 0;
  std::string cek;
  bool ok = ctx && EVP_PKEY_decrypt_init(ctx) == 1 && EVP_PKEY_decrypt(ctx, nullptr, &len, u8(*ek), ek->size()) == 1;
  if (ok) {
    cek.resize(len);
    ok = EVP_PKEY_decrypt(ctx, u8(cek), &len, u8(*ek), ek->size()) == 1;
    cek.resize(len);
  }
  EVP_PKEY_CTX_free(ctx);
  if (!ok || cek.size() != 32) {
    openssl_error();
    return make_error(Errc::corruption, "the SM2-encrypted key does not open (another key?)");
  }
  return aead_open(Aead::a256gcm, cek, *iv, parts[0], *ct + *tag);
}

Result<NodeSecret> read_or_create_node_secret(const std::string& path, std::string_view passphrase) {
  EVP_PKEY* k = nullptr;
  std::ifstream in(path, std::ios::binary);
  if (in) {
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string pem = ss.str();
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    auto give = [](char* buf, int size, int, void* u) -> int {
      const auto* pass = static_cast<const std::string_view*>(u);
      if (pass->empty() || pass->size() > static_cast<size_t>(size)) return 0;
      std::memcpy(buf, pass->data(), pass->size());
      return static_cast<int>(pass->size());
    };
    k = PEM_read_bio_PrivateKey(bio, nullptr, give, &passphrase);
    BIO_free(bio);
    if (!k)
      return make_error(Errc::invalid_argument, path + ": cannot read the key (wrong passphrase?): " + openssl_error());
    if (EVP_PKEY_get_base_id(k) != EVP_PKEY_X25519) {
      EVP_PKEY_free(k);
      return make_error(Errc::invalid_argument, path + ": not an X25519 key");
    }
  } else {
    k = EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519");
    if (!k) return make_error(Errc::internal, "X25519 key generation: " + openssl_error());
    BIO* bio = BIO_new(BIO_s_mem());
    std::string pass(passphrase);
    const bool ok = PEM_write_bio_PKCS8PrivateKey(bio, k, pass.empty() ? nullptr : EVP_aes_256_cbc(),
                                                  pass.empty() ? nullptr : pass.data(), static_cast<int>(pass.size()),
                                                  nullptr, nullptr) == 1;
    char* data = nullptr;
    const long len = ok ? BIO_get_mem_data(bio, &data) : 0;
    const std::string pem = ok ? std::string(data, static_cast<size_t>(len)) : std::string();
    BIO_free(bio);
    if (!ok) {
      EVP_PKEY_free(k);
      return make_error(Errc::internal, "PEM write: " + openssl_error());
    }
    const std::string tmp = path + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    bool written =
        fd >= 0 && ::write(fd, pem.data(), pem.size()) == static_cast<ssize_t>(pem.size()) && ::fsync(fd) == 0;
    if (fd >= 0) ::close(fd);
    if (!written || ::link(tmp.c_str(), path.c_str()) != 0) {
      ::unlink(tmp.c_str());
      EVP_PKEY_free(k);
      return make_error(Errc::io_error, "cannot write " + path + " (or it appeared meanwhile)");
    }
    ::unlink(tmp.c_str());
  }
  NodeSecret s;
  size_t len = 32;
  s.private_raw.resize(32);
  s.public_raw.resize(32);
  const bool ok = EVP_PKEY_get_raw_private_key(k, u8(s.private_raw), &len) == 1 && len == 32 &&
                  EVP_PKEY_get_raw_public_key(k, u8(s.public_raw), &len) == 1 && len == 32;
  EVP_PKEY_free(k);
  if (!ok) return make_error(Errc::internal, "X25519 raw key: " + openssl_error());
  return s;
}

}  // namespace certledger::crypto
