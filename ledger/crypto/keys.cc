#include "ledger/crypto/keys.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "ledger/util/encoding.h"

namespace certledger::crypto {

void PkeyDeleter::operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }

std::string openssl_error() {
  std::string out;
  unsigned long e;
  char buf[256];
  while ((e = ERR_get_error()) != 0) {
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

const char* alg_name(KeyAlg a) {
  switch (a) {
    case KeyAlg::ed25519: return "ed25519";
    case KeyAlg::es256: return "es256";
    case KeyAlg::sm2: return "sm2";
  }
  return "ed25519";
}

const char* jws_alg(KeyAlg a) {
  switch (a) {
    case KeyAlg::ed25519: return "EdDSA";
    case KeyAlg::es256: return "ES256";
    case KeyAlg::sm2: return "SM2-SM3";
  }
  return "EdDSA";
}

Result<KeyAlg> parse_alg(std::string_view n) {
  if (n == "ed25519" || n == "EdDSA" || n == "Ed25519") return KeyAlg::ed25519;
  if (n == "es256" || n == "ES256" || n == "p256" || n == "P-256") return KeyAlg::es256;
  if (n == "sm2" || n == "SM2" || n == "SM2-SM3") return KeyAlg::sm2;
  return make_error(Errc::invalid_argument, "unknown key algorithm \"" + std::string(n) + "\" (ed25519, es256, sm2)");
}

Result<KeyAlg> alg_from_jws(std::string_view a) {
  if (a == "EdDSA") return KeyAlg::ed25519;
  if (a == "ES256") return KeyAlg::es256;
  if (a == "SM2-SM3") return KeyAlg::sm2;
  return make_error(Errc::corruption, "unsupported JWS alg \"" + std::string(a) + "\"");
}

namespace {

struct MdCtx {
  EVP_MD_CTX* p = EVP_MD_CTX_new();
  ~MdCtx() { EVP_MD_CTX_free(p); }
};

struct Bio {
  BIO* p;
  explicit Bio(BIO* b) : p(b) {}
  ~Bio() { BIO_free(p); }
};

const char* digest_of(KeyAlg a) {
  switch (a) {
    case KeyAlg::ed25519: return nullptr;
    case KeyAlg::es256: return "SHA256";
    case KeyAlg::sm2: return "SM3";
  }
  return nullptr;
}

// Initialises ctx for sign or verify with the algorithm's digest and, for
// SM2, the distinguishing ID. (OpenSSL 3.0 rejects "distid" passed to
// *Init_ex; setting it on the PKEY_CTX after init is what works.)
bool init_ctx(EVP_MD_CTX* ctx, KeyAlg alg, EVP_PKEY* key, bool sign) {
  EVP_PKEY_CTX* pctx = nullptr;
  int rc = sign ? EVP_DigestSignInit_ex(ctx, &pctx, digest_of(alg), nullptr, nullptr, key, nullptr)
                : EVP_DigestVerifyInit_ex(ctx, &pctx, digest_of(alg), nullptr, nullptr, key, nullptr);
  if (rc != 1) return false;
  if (alg == KeyAlg::sm2)
    return EVP_PKEY_CTX_set1_id(pctx, kSm2DistinguishingId.data(), static_cast<int>(kSm2DistinguishingId.size())) == 1;
  return true;
}

std::string der_to_raw(std::string_view der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  if (!sig) return {};
  std::string raw(64, '\0');
  const BIGNUM *r, *s;
  ECDSA_SIG_get0(sig, &r, &s);
  BN_bn2binpad(r, reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_bn2binpad(s, reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
  ECDSA_SIG_free(sig);
  return raw;
}

std::string raw_to_der(std::string_view raw) {
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
  ECDSA_SIG_set0(sig, r, s);
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig, &der);
  std::string out = len > 0 ? std::string(reinterpret_cast<char*>(der), static_cast<size_t>(len)) : "";
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
  return out;
}

Result<KeyAlg> alg_of(EVP_PKEY* k) {
  if (EVP_PKEY_is_a(k, "ED25519")) return KeyAlg::ed25519;
  if (EVP_PKEY_is_a(k, "SM2")) return KeyAlg::sm2;
  if (EVP_PKEY_is_a(k, "EC")) {
    char group[64] = {0};
    size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) &&
        (std::string_view(group) == "prime256v1" || std::string_view(group) == "P-256"))
      return KeyAlg::es256;
    return make_error(Errc::invalid_argument, std::string("EC key on unsupported curve ") + group +
                                                  " (an EC key on the SM2 curve must be generated as type SM2)");
  }
  return make_error(Errc::invalid_argument, "unsupported key type (ed25519, P-256, SM2)");
}

std::string ec_point(EVP_PKEY* k) {
  unsigned char buf[133];
  size_t len = 0;
  if (!EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, buf, sizeof buf, &len)) return {};
  return std::string(reinterpret_cast<char*>(buf), len);
}

}  // namespace

PublicKey::PublicKey(KeyAlg alg, PkeyPtr key) : alg_(alg), key_(key.release(), EVP_PKEY_free) {}

Status PublicKey::verify(std::string_view message, std::string_view signature) const {
  std::string der;
  std::string_view sig = signature;
  if (alg_ != KeyAlg::ed25519) {
    if (signature.size() != 64) return make_error(Errc::corruption, "signature must be 64 bytes (r||s)");
    der = raw_to_der(signature);
    sig = der;
  } else if (signature.size() != 64) {
    return make_error(Errc::corruption, "Ed25519 signature must be 64 bytes");
  }
  MdCtx ctx;
  if (!init_ctx(ctx.p, alg_, key_.get(), false)) return make_error(Errc::internal, "verify init: " + openssl_error());
  int rc = EVP_DigestVerify(ctx.p, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                            reinterpret_cast<const unsigned char*>(message.data()), message.size());
  if (rc != 1) {
    ERR_clear_error();
    return make_error(Errc::corruption, "signature does not verify");
  }
  return {};
}

std::string PublicKey::raw() const {
  if (alg_ == KeyAlg::ed25519) {
    unsigned char buf[32];
    size_t len = sizeof buf;
    EVP_PKEY_get_raw_public_key(key_.get(), buf, &len);
    return std::string(reinterpret_cast<char*>(buf), len);
  }
  return ec_point(key_.get());
}

nlohmann::json PublicKey::jwk() const {
  std::string r = raw();
  if (alg_ == KeyAlg::ed25519) return {{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", base64url_encode(r)}};
  return {{"kty", "EC"},
          {"crv", alg_ == KeyAlg::es256 ? "P-256" : "SM2"},
          {"x", base64url_encode(r.substr(1, 32))},
          {"y", base64url_encode(r.substr(33, 32))}};
}

std::string PublicKey::spki_pem() const {
  Bio bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PUBKEY(bio.p, key_.get());
  char* data;
  long len = BIO_get_mem_data(bio.p, &data);
  return std::string(data, static_cast<size_t>(len));
}

Result<PublicKey> PublicKey::from_jwk(const nlohmann::json& jwk) {
  auto member = [&](const char* k) -> std::string {
    auto it = jwk.find(k);
    return it != jwk.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  std::string kty = member("kty"), crv = member("crv");
  if (kty == "OKP" && crv == "Ed25519") {
    auto x = base64url_decode(member("x"));
    if (!x || x->size() != 32) return make_error(Errc::invalid_argument, "JWK x must be 32 bytes");
    EVP_PKEY* k =
        EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(x->data()), 32);
    if (!k) return make_error(Errc::invalid_argument, "bad Ed25519 key: " + openssl_error());
    return PublicKey(KeyAlg::ed25519, PkeyPtr(k));
  }
  if (kty == "EC" && (crv == "P-256" || crv == "SM2")) {
    auto x = base64url_decode(member("x")), y = base64url_decode(member("y"));
    if (!x || !y || x->size() != 32 || y->size() != 32)
      return make_error(Errc::invalid_argument, "JWK x and y must be 32 bytes each");
    std::string point = "\x04" + *x + *y;
    const bool sm2 = crv == "SM2";
    OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, sm2 ? "SM2" : "prime256v1", 0);
    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
    OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, sm2 ? "SM2" : "EC", nullptr);
    EVP_PKEY* k = nullptr;
    bool ok = ctx && EVP_PKEY_fromdata_init(ctx) == 1 && EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params) == 1;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    if (!ok) return make_error(Errc::invalid_argument, "bad EC public key: " + openssl_error());
    return PublicKey(sm2 ? KeyAlg::sm2 : KeyAlg::es256, PkeyPtr(k));
  }
  return make_error(Errc::invalid_argument, "unsupported JWK (OKP/Ed25519, EC/P-256, EC/SM2), got " + kty + "/" + crv);
}

Result<PrivateKey> PrivateKey::generate(KeyAlg alg) {
  EVP_PKEY* k = nullptr;
  switch (alg) {
    case KeyAlg::ed25519: k = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"); break;
    case KeyAlg::es256: k = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"); break;
    case KeyAlg::sm2: k = EVP_PKEY_Q_keygen(nullptr, nullptr, "SM2"); break;
  }
  if (!k) return make_error(Errc::internal, "key generation failed: " + openssl_error());
  return PrivateKey(alg, std::shared_ptr<EVP_PKEY>(k, EVP_PKEY_free));
}

Result<PkeyPtr> read_private_pem(std::string_view pem, std::string_view passphrase) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  // Our own callback: OpenSSL's default one would prompt on the terminal
  // for an encrypted key when no passphrase is set (a daemon would hang).
  auto give = [](char* buf, int size, int, void* u) -> int {
    const auto* pass = static_cast<const std::string_view*>(u);
    if (pass->empty() || pass->size() > static_cast<size_t>(size)) return 0;
    std::memcpy(buf, pass->data(), pass->size());
    return static_cast<int>(pass->size());
  };
  PkeyPtr k(PEM_read_bio_PrivateKey(bio.p, nullptr, give, &passphrase));
  if (!k)
    return make_error(Errc::invalid_argument,
                      "cannot read private key (wrong passphrase or not PKCS#8 PEM): " + openssl_error());
  return k;
}

Result<std::string> private_pem(EVP_PKEY* key, std::string_view passphrase) {
  Bio bio(BIO_new(BIO_s_mem()));
  std::string pass(passphrase);
  const EVP_CIPHER* cipher = pass.empty() ? nullptr : EVP_aes_256_cbc();
  if (PEM_write_bio_PKCS8PrivateKey(bio.p, key, cipher, pass.empty() ? nullptr : pass.data(),
                                    static_cast<int>(pass.size()), nullptr, nullptr) != 1)
    return make_error(Errc::internal, "PEM write: " + openssl_error());
  char* data;
  long len = BIO_get_mem_data(bio.p, &data);
  return std::string(data, static_cast<size_t>(len));
}

Status write_key_file(const std::string& path, std::string_view pem) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return make_error(Errc::io_error, "cannot create " + tmp);
  bool ok = ::write(fd, pem.data(), pem.size()) == static_cast<ssize_t>(pem.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(tmp.c_str());
    return make_error(Errc::io_error, "cannot write " + tmp);
  }
  if (::link(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return make_error(Errc::already_exists, "key file " + path + " exists; not overwritten");
  }
  ::unlink(tmp.c_str());
  return {};
}

namespace {

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(Errc::io_error, "cannot open key file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

Result<PrivateKey> PrivateKey::from_pem(std::string_view pem, std::string_view passphrase) {
  CL_ASSIGN(PkeyPtr k, read_private_pem(pem, passphrase));
  CL_ASSIGN(KeyAlg alg, alg_of(k.get()));
  return PrivateKey(alg, std::shared_ptr<EVP_PKEY>(k.release(), EVP_PKEY_free));
}

Result<PrivateKey> PrivateKey::load(const std::string& path, std::string_view passphrase) {
  CL_ASSIGN(std::string pem, read_file(path));
  auto k = from_pem(pem, passphrase);
  if (!k.ok()) return make_error(k.error().code, path + ": " + k.error().message);
  return k;
}

Result<std::string> PrivateKey::to_pem(std::string_view passphrase) const {
  return private_pem(key_.get(), passphrase);
}

Status PrivateKey::save(const std::string& path, std::string_view passphrase) const {
  CL_ASSIGN(std::string pem, to_pem(passphrase));
  return write_key_file(path, pem);
}

Result<std::string> PrivateKey::sign(std::string_view message) const {
  MdCtx ctx;
  if (!init_ctx(ctx.p, alg_, key_.get(), true)) return make_error(Errc::internal, "sign init: " + openssl_error());
  unsigned char buf[80];
  size_t len = sizeof buf;
  if (EVP_DigestSign(ctx.p, buf, &len, reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1)
    return make_error(Errc::internal, "sign: " + openssl_error());
  std::string sig(reinterpret_cast<char*>(buf), len);
  if (alg_ == KeyAlg::ed25519) return sig;
  std::string raw = der_to_raw(sig);
  if (raw.empty()) return make_error(Errc::internal, "cannot decode ECDSA signature");
  return raw;
}

PublicKey PrivateKey::public_key() const {
  EVP_PKEY_up_ref(key_.get());
  return PublicKey(alg_, PkeyPtr(key_.get()));
}

Result<NodeSecret> read_or_create_node_secret(const std::string& path, std::string_view passphrase) {
  PkeyPtr k;
  if (std::ifstream(path).good()) {
    CL_ASSIGN(std::string pem, read_file(path));
    auto read = read_private_pem(pem, passphrase);
    if (!read.ok()) return make_error(read.error().code, path + ": " + read.error().message);
    k = std::move(*read);
    if (EVP_PKEY_get_base_id(k.get()) != EVP_PKEY_X25519)
      return make_error(Errc::invalid_argument, path + ": not an X25519 key");
  } else {
    k.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519"));
    if (!k) return make_error(Errc::internal, "X25519 key generation: " + openssl_error());
    CL_ASSIGN(std::string pem, private_pem(k.get(), passphrase));
    CL_TRY(write_key_file(path, pem));
  }
  NodeSecret s;
  size_t len = 32;
  s.private_raw.resize(32);
  s.public_raw.resize(32);
  if (EVP_PKEY_get_raw_private_key(k.get(), reinterpret_cast<unsigned char*>(s.private_raw.data()), &len) != 1 ||
      len != 32 ||
      EVP_PKEY_get_raw_public_key(k.get(), reinterpret_cast<unsigned char*>(s.public_raw.data()), &len) != 1 ||
      len != 32)
    return make_error(Errc::internal, "X25519 raw key: " + openssl_error());
  return s;
}

}  // namespace certledger::crypto
