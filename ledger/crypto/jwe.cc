#include "ledger/crypto/jwe.h"

#include <openssl/evp.h>

#include <array>
#include <optional>
#include <nlohmann/json.hpp>

#include "ledger/util/encoding.h"
#include "ledger/util/hash.h"
#include "ledger/util/json_scan.h"
#include "ledger/util/random.h"

namespace certledger::crypto {

namespace {

const unsigned char* u8(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
unsigned char* u8(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

// A compact JWE taken apart: the header decoded and parsed, the other
// parts decoded, the IV and tag of GCM's sizes.
struct Compact {
  std::string_view header_b64;  // the AAD
  nlohmann::json header;
  std::string encrypted_key, iv, ct_and_tag;
};

// The five dot-separated parts of a compact serialization, undecoded.
Result<std::array<std::string_view, 5>> five_parts(std::string_view s) {
  std::array<std::string_view, 5> parts;
  for (size_t i = 0; i < 5; ++i) {
    const auto dot = s.find('.');
    if ((dot == std::string_view::npos) != (i == 4))
      return make_error(Errc::invalid_argument, "a compact JWE has five parts separated by dots");
    parts[i] = s.substr(0, dot);
    if (dot != std::string_view::npos) s.remove_prefix(dot + 1);
  }
  return parts;
}

Result<Compact> parse_compact(std::string_view s) {
  CL_ASSIGN(auto parts, five_parts(s));
  Compact c;
  c.header_b64 = parts[0];
  auto text = base64url_decode(parts[0]);
  if (!text) return make_error(Errc::invalid_argument, "the JWE header is not base64url");
  c.header = nlohmann::json::parse(*text, nullptr, false);
  if (!c.header.is_object() || !c.header.contains("alg") || !c.header["alg"].is_string())
    return make_error(Errc::invalid_argument, "the JWE header is not an object with an alg");
  auto ek = base64url_decode(parts[1]);
  auto iv = base64url_decode(parts[2]);
  auto ct = base64url_decode(parts[3]);
  auto tag = base64url_decode(parts[4]);
  if (!ek || !iv || !ct || !tag || tag->size() != 16 || iv->size() != 12)
    return make_error(Errc::invalid_argument, "the JWE's key, IV, ciphertext or tag is malformed");
  c.encrypted_key = std::move(*ek);
  c.iv = std::move(*iv);
  c.ct_and_tag = std::move(*ct) + *tag;
  return c;
}

std::string member(const nlohmann::json& h, const char* name) {
  auto it = h.find(name);
  return it != h.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The compact form of plaintext sealed under cek with a fresh IV; header
// is the protected header's JSON text.
Result<std::string> seal_compact(std::string_view header, std::string_view encrypted_key, Aead enc,
                                 std::string_view cek, std::string_view plaintext) {
  const std::string h = base64url_encode(header);
  const std::string iv = random_bytes(12);
  CL_ASSIGN(std::string sealed, aead_seal(enc, cek, iv, h, plaintext));
  const std::string_view ct = std::string_view(sealed).substr(0, sealed.size() - 16);
  const std::string_view tag = std::string_view(sealed).substr(sealed.size() - 16);
  return h + "." + base64url_encode(encrypted_key) + "." + base64url_encode(iv) + "." + base64url_encode(ct) + "." +
         base64url_encode(tag);
}

Result<std::string> open_compact(const Compact& c, Aead enc, std::string_view cek) {
  return aead_open(enc, cek, c.iv, c.header_b64, c.ct_and_tag);
}

Result<JweParts> dir_header(const Compact& c) {
  const nlohmann::json& h = c.header;
  if (member(h, "alg") != "dir" || member(h, "enc").empty() || !h.contains("kid") || !h["kid"].is_string())
    return make_error(Errc::invalid_argument, "the JWE header is not {\"alg\":\"dir\",\"enc\",\"kid\"}");
  if (!c.encrypted_key.empty()) return make_error(Errc::invalid_argument, "a \"dir\" JWE has an empty encrypted key");
  JweParts p;
  CL_ASSIGN(p.enc, parse_aead(member(h, "enc")));
  p.kid = member(h, "kid");
  p.cty = member(h, "cty");
  return p;
}

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
  return hash_bytes(sha256_parts(
      {be32(1), z, be32(static_cast<uint32_t>(algorithm_id.size())), algorithm_id, be32(0), be32(0), be32(256)}));
}

// SM2 public-key encryption (GB/T 32918.4, SM3; OpenSSL's DER C1C3C2
// form) or its decryption; nullopt on failure (the reason in OpenSSL's queue).
std::optional<std::string> sm2_crypt(EVP_PKEY* key, bool encrypt, std::string_view in) {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr);
  auto op = encrypt ? EVP_PKEY_encrypt : EVP_PKEY_decrypt;
  size_t len = 0;
  std::string out;
  bool ok = ctx && (encrypt ? EVP_PKEY_encrypt_init(ctx) : EVP_PKEY_decrypt_init(ctx)) == 1 &&
            op(ctx, nullptr, &len, u8(in), in.size()) == 1;
  if (ok) {
    out.resize(len);
    ok = op(ctx, u8(out), &len, u8(in), in.size()) == 1;
    out.resize(len);
  }
  EVP_PKEY_CTX_free(ctx);
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace

std::string jwe_dir_header(Aead enc, std::string_view kid, std::string_view cty) {
  // What nlohmann's dump of the sorted object gives, written directly.
  std::string h = R"({"alg":"dir","cty":)";
  json_append_string(h, cty);
  h += R"(,"enc":")";
  h += aead_name(enc);
  h += R"(","kid":)";
  json_append_string(h, kid);
  h += '}';
  return h;
}

Result<std::string> jwe_encrypt(Aead a, std::string_view key, std::string_view kid, std::string_view cty,
                                std::string_view plaintext) {
  return seal_compact(jwe_dir_header(a, kid, cty), "", a, key, plaintext);
}

Result<Aead> check_dir_jwe(std::string_view compact, std::string_view kid, std::string_view cty) {
  CL_ASSIGN(auto parts, five_parts(compact));
  std::optional<Aead> enc;
  for (Aead a : {Aead::a256gcm, Aead::sm4gcm})
    if (parts[0] == base64url_encode(jwe_dir_header(a, kid, cty))) enc = a;
  if (!enc)
    return make_error(Errc::invalid_argument,
                      "the JWE header is not {\"alg\":\"dir\",\"cty\",\"enc\",\"kid\"} for " + std::string(kid));
  // 12 and 16 bytes are 16 and 22 base64url characters.
  if (!parts[1].empty() || parts[2].size() != 16 || parts[4].size() != 22 || !base64url_decode(parts[2]) ||
      !base64url_decode(parts[4]) || !base64url_decode(parts[3]))
    return make_error(Errc::invalid_argument, "the JWE's key, IV, ciphertext or tag is malformed");
  return *enc;
}

Result<JweParts> jwe_header(std::string_view compact) {
  CL_ASSIGN(Compact c, parse_compact(compact));
  return dir_header(c);
}

Result<std::string> jwe_decrypt(std::string_view key, std::string_view compact) {
  CL_ASSIGN(Compact c, parse_compact(compact));
  CL_ASSIGN(JweParts p, dir_header(c));
  return open_compact(c, p.enc, key);
}

Result<std::string> jwe_alg(std::string_view compact) {
  CL_ASSIGN(Compact c, parse_compact(compact));
  return member(c.header, "alg");
}

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
  const nlohmann::json header = {{"alg", "ECDH-ES"},
                                 {"enc", "A256GCM"},
                                 {"epk", {{"crv", "X25519"}, {"kty", "OKP"}, {"x", base64url_encode(pub)}}},
                                 {"kid", kid}};
  return seal_compact(header.dump(), "", Aead::a256gcm, concat_kdf(z, "A256GCM"), plaintext);
}

Result<std::string> jwe_ecdh_es_decrypt(std::string_view recipient_private_raw, std::string_view compact) {
  CL_ASSIGN(Compact c, parse_compact(compact));
  const nlohmann::json& h = c.header;
  auto epk_it = h.find("epk");
  if (member(h, "alg") != "ECDH-ES" || member(h, "enc") != "A256GCM" || epk_it == h.end() || !epk_it->is_object() ||
      member(*epk_it, "crv") != "X25519" || !c.encrypted_key.empty())
    return make_error(Errc::invalid_argument, "not an ECDH-ES / X25519 / A256GCM JWE");
  auto epk = base64url_decode(member(*epk_it, "x"));
  if (!epk) return make_error(Errc::invalid_argument, "the JWE's ephemeral key is malformed");
  CL_ASSIGN(std::string z, x25519_shared(recipient_private_raw, *epk));
  return open_compact(c, Aead::a256gcm, concat_kdf(z, "A256GCM"));
}

Result<std::string> jwe_sm2_encrypt(const PublicKey& recipient, std::string_view kid, std::string_view plaintext) {
  if (recipient.alg() != KeyAlg::sm2) return make_error(Errc::invalid_argument, "not an SM2 key");
  const std::string cek = random_bytes(32);
  auto ek = sm2_crypt(recipient.pkey(), true, cek);
  if (!ek) return make_error(Errc::internal, "SM2 encryption: " + openssl_error());
  return seal_compact(nlohmann::json{{"alg", "SM2"}, {"enc", "A256GCM"}, {"kid", kid}}.dump(), *ek, Aead::a256gcm, cek,
                      plaintext);
}

Result<std::string> jwe_sm2_decrypt(const PrivateKey& recipient, std::string_view compact) {
  CL_ASSIGN(Compact c, parse_compact(compact));
  if (member(c.header, "alg") != "SM2" || member(c.header, "enc") != "A256GCM")
    return make_error(Errc::invalid_argument, "not an SM2 / A256GCM JWE");
  auto cek = sm2_crypt(recipient.pkey(), false, c.encrypted_key);
  if (!cek || cek->size() != 32) {
    openssl_error();
    return make_error(Errc::corruption, "the SM2-encrypted key does not open (another key?)");
  }
  return open_compact(c, Aead::a256gcm, *cek);
}

}  // namespace certledger::crypto
