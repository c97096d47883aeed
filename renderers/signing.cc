#include "renderers/signing.h"

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "ledger/util/random.h"

namespace certledger::render {

namespace fs = std::filesystem;

void X509Deleter::operator()(X509* x) const { X509_free(x); }

namespace {

std::mutex g_mu;  // certificate creation and the identity cache

Result<std::shared_ptr<X509>> load_cert(const fs::path& p) {
  BIO* b = BIO_new_file(p.c_str(), "r");
  if (!b) return make_error(Errc::not_found, "no certificate " + p.string());
  X509* x = PEM_read_bio_X509(b, nullptr, nullptr, nullptr);
  BIO_free(b);
  if (!x) return make_error(Errc::corruption, "cannot read certificate " + p.string());
  return std::shared_ptr<X509>(x, X509_free);
}

Status save_cert(const fs::path& p, X509* x) {
  std::ofstream out(p);
  out << certificate_pem(x);
  if (!out) return make_error(Errc::io_error, "cannot write " + p.string());
  return {};
}

void add_name(X509_NAME* n, const char* field, const std::string& value) {
  X509_NAME_add_entry_by_txt(n, field, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0);
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext) {
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
}

// Builds and signs a certificate. issuer == nullptr: self-signed.
Result<std::shared_ptr<X509>> make_cert(const crypto::PrivateKey& subject_key, const std::string& cn,
                                        const std::string& org, X509* issuer, const crypto::PrivateKey& issuer_key,
                                        int days, bool ca) {
  X509* x = X509_new();
  X509_set_version(x, 2);
  std::string serial = random_bytes(16);
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(reinterpret_cast<const unsigned char*>(serial.data()), 16, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), static_cast<long>(days) * 86400);
  X509_set_pubkey(x, subject_key.pkey());
  X509_NAME* name = X509_get_subject_name(x);
  add_name(name, "C", "CN");
  add_name(name, "O", org);
  add_name(name, "CN", cn);
  X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
  X509* iss = issuer ? issuer : x;
  if (ca) {
    add_ext(x, iss, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
    add_ext(x, iss, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_ext(x, iss, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(x, iss, NID_key_usage, "critical,digitalSignature,nonRepudiation");
    add_ext(x, iss, NID_ext_key_usage, "emailProtection,1.3.6.1.5.5.7.3.36");
  }
  add_ext(x, iss, NID_subject_key_identifier, "hash");
  if (issuer) add_ext(x, iss, NID_authority_key_identifier, "keyid:always");
  if (X509_sign(x, issuer_key.pkey(), EVP_sha256()) <= 0) {
    X509_free(x);
    return make_error(Errc::internal, "X509_sign: " + crypto::openssl_error());
  }
  return std::shared_ptr<X509>(x, X509_free);
}

// The CA's certificate sits beside its key: <keys>/ca/ca.crt, ca/ca-key.pem.
constexpr const char* kCaKey = "ca/ca-key";
fs::path ca_cert_file(const KeyRing& keys) { return fs::path(keys.dir()) / "ca" / "ca.crt"; }

}  // namespace

std::string certificate_pem(X509* cert) {
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(b, cert);
  char* p;
  long n = BIO_get_mem_data(b, &p);
  std::string out(p, static_cast<size_t>(n));
  BIO_free(b);
  return out;
}

Status ensure_ca(const KeyRing& keys, const std::string& ca_name) {
  std::lock_guard lock(g_mu);
  if (fs::exists(ca_cert_file(keys)) && keys.has_file(kCaKey)) return {};
  CL_ASSIGN(auto key, keys.read_or_create(kCaKey, crypto::KeyAlg::es256));
  CL_ASSIGN(auto cert, make_cert(key, ca_name, "certledger", nullptr, key, 365 * 20, true));
  return save_cert(ca_cert_file(keys), cert.get());
}

namespace {

struct Issued {
  std::shared_ptr<const crypto::PrivateKey> key, ca_key;
  std::shared_ptr<X509> cert, ca_cert;
};

// <keys>/<AUTH>/<base>.pem and .crt, created on first use, read from disk
// once per process.
Result<Issued> issue(const KeyRing& keys, const domain::AuthorityInfo& a, const std::string& base, crypto::KeyAlg alg) {
  static std::map<std::string, Issued> cache;
  const std::string slot = keys.dir() + "|" + a.code + "|" + base;
  {
    std::lock_guard lock(g_mu);
    if (auto it = cache.find(slot); it != cache.end()) return it->second;
  }
  CL_TRY(ensure_ca(keys, "certledger 电子证照文档签名 CA"));
  std::lock_guard lock(g_mu);
  if (auto it = cache.find(slot); it != cache.end()) return it->second;
  CL_ASSIGN(auto ca_key, keys.read(kCaKey));
  CL_ASSIGN(auto ca_cert, load_cert(ca_cert_file(keys)));
  const std::string name = a.code + "/" + base;
  CL_ASSIGN(auto key, keys.read_or_create(name, alg));
  const fs::path cert_file = fs::path(keys.dir()) / (name + ".crt");
  if (!fs::exists(cert_file)) {
    CL_ASSIGN(auto cert, make_cert(key, a.name, a.name, ca_cert.get(), ca_key, 365 * 5, false));
    CL_TRY(save_cert(cert_file, cert.get()));
  }
  CL_ASSIGN(auto cert, load_cert(cert_file));
  Issued is{std::make_shared<const crypto::PrivateKey>(std::move(key)),
            std::make_shared<const crypto::PrivateKey>(std::move(ca_key)), cert, ca_cert};
  cache.emplace(slot, is);
  return is;
}

}  // namespace

Result<SigningIdentity> document_signer(const KeyRing& keys, const domain::AuthorityInfo& a) {
  CL_ASSIGN(Issued is, issue(keys, a, "document-signing", crypto::KeyAlg::es256));
  return SigningIdentity{is.key, is.cert, is.ca_cert, a.name};
}

Result<SealIdentity> seal_signer(const KeyRing& keys, const domain::AuthorityInfo& a) {
  CL_ASSIGN(Issued is, issue(keys, a, "seal-sm2", crypto::KeyAlg::sm2));
  return SealIdentity{is.key, is.cert, is.ca_key, is.ca_cert, a.name, a.code};
}

Result<std::string> cms_sign_detached(const SigningIdentity& id, std::string_view data) {
  BIO* in = BIO_new_mem_buf(data.data(), static_cast<int>(data.size()));
  STACK_OF(X509)* chain = sk_X509_new_null();
  sk_X509_push(chain, id.ca_certificate.get());
  const int flags = CMS_DETACHED | CMS_BINARY | CMS_PARTIAL;
  CMS_ContentInfo* cms = CMS_sign(nullptr, nullptr, chain, nullptr, flags);
  bool ok = cms && CMS_add1_signer(cms, id.certificate.get(), id.key->pkey(), EVP_sha256(), flags) &&
            CMS_final(cms, in, nullptr, flags) == 1;
  std::string out;
  if (ok) {
    unsigned char* der = nullptr;
    int len = i2d_CMS_ContentInfo(cms, &der);
    if (len > 0) out.assign(reinterpret_cast<char*>(der), static_cast<size_t>(len));
    OPENSSL_free(der);
  }
  if (cms) CMS_ContentInfo_free(cms);
  sk_X509_free(chain);
  BIO_free(in);
  if (!ok || out.empty()) return make_error(Errc::internal, "CMS signing failed: " + crypto::openssl_error());
  return out;
}

}  // namespace certledger::render
