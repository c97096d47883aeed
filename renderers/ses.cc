#include "renderers/ses.h"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <ctime>
#include <vector>

#include "ledger/crypto/keys.h"

namespace certledger::render {

namespace {

constexpr std::string_view kOidSm2Sm3 = "1.2.156.10197.1.501";
constexpr std::string_view kOidEcdsaSha256 = "1.2.840.10045.4.3.2";

// ---- DER writing ----
std::string tlv(unsigned char tag, std::string_view content) {
  std::string out(1, static_cast<char>(tag));
  const size_t n = content.size();
  if (n < 0x80) {
    out += static_cast<char>(n);
  } else {
    std::string len;
    for (size_t v = n; v; v >>= 8) len.insert(len.begin(), static_cast<char>(v & 0xff));
    out += static_cast<char>(0x80 | len.size());
    out += len;
  }
  out.append(content);
  return out;
}
std::string seq(std::initializer_list<std::string> parts) {
  std::string c;
  for (const auto& p : parts) c += p;
  return tlv(0x30, c);
}
std::string integer(int64_t v) {
  std::string c;
  do {
    c.insert(c.begin(), static_cast<char>(v & 0xff));
    v >>= 8;
  } while (v > 0);
  if (static_cast<unsigned char>(c[0]) & 0x80) c.insert(c.begin(), '\0');
  return tlv(0x02, c);
}
std::string ia5(std::string_view s) { return tlv(0x16, s); }
std::string utf8(std::string_view s) { return tlv(0x0c, s); }
std::string octets(std::string_view s) { return tlv(0x04, s); }
std::string bits(std::string_view s) {
  std::string c(1, '\0');  // no unused bits
  c.append(s);
  return tlv(0x03, c);
}
std::string oid(std::string_view dotted) {
  std::vector<uint64_t> arcs;
  uint64_t cur = 0;
  for (char ch : dotted) {
    if (ch == '.') {
      arcs.push_back(cur);
      cur = 0;
    } else {
      cur = cur * 10 + static_cast<uint64_t>(ch - '0');
    }
  }
  arcs.push_back(cur);
  std::string c;
  auto base128 = [&](uint64_t v) {
    std::string b(1, static_cast<char>(v & 0x7f));
    for (v >>= 7; v; v >>= 7) b.insert(b.begin(), static_cast<char>(0x80 | (v & 0x7f)));
    c += b;
  };
  base128(arcs[0] * 40 + arcs[1]);
  for (size_t i = 2; i < arcs.size(); ++i) base128(arcs[i]);
  return tlv(0x06, c);
}
std::string gtime(UnixMillis t) { return tlv(0x18, generalized_time(t)); }

std::string cert_der(X509* x) {
  unsigned char* der = nullptr;
  const int n = i2d_X509(x, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(std::max(n, 0)));
  OPENSSL_free(der);
  return out;
}

// JOSE raw r||s -> DER ECDSA-Sig-Value (what GB/T 38540 and X.509 carry).
std::string raw_to_der(std::string_view raw) {
  ECDSA_SIG* sig = ECDSA_SIG_new();
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  const int half = static_cast<int>(raw.size() / 2);
  ECDSA_SIG_set0(sig, BN_bin2bn(p, half, nullptr), BN_bin2bn(p + half, half, nullptr));
  unsigned char* der = nullptr;
  const int n = i2d_ECDSA_SIG(sig, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(std::max(n, 0)));
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
  return out;
}

Result<std::string> sign_der(const crypto::PrivateKey& key, std::string_view message) {
  CL_ASSIGN(std::string raw, key.sign(message));
  return raw_to_der(raw);
}

Status verify_der(EVP_PKEY* key, bool sm2, std::string_view message, std::string_view der_sig) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  bool ok = EVP_DigestVerifyInit_ex(ctx, &pctx, sm2 ? "SM3" : "SHA256", nullptr, nullptr, key, nullptr) == 1;
  if (ok && sm2)
    ok = EVP_PKEY_CTX_set1_id(pctx, crypto::kSm2DistinguishingId.data(), crypto::kSm2DistinguishingId.size()) == 1;
  ok = ok && EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(der_sig.data()), der_sig.size(),
                              reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) return make_error(Errc::corruption, "seal signature does not verify: " + crypto::openssl_error());
  return {};
}

// ---- DER reading ----
struct Tlv {
  unsigned char tag = 0;
  std::string_view content, whole;
};
Result<Tlv> read(std::string_view& in) {
  auto bad = [] { return make_error(Errc::invalid_argument, "SES_Signature: malformed DER"); };
  if (in.size() < 2) return bad();
  Tlv t;
  t.tag = static_cast<unsigned char>(in[0]);
  size_t at = 2, len = static_cast<unsigned char>(in[1]);
  if (len & 0x80) {
    const size_t k = len & 0x7f;
    if (k == 0 || k > 4 || in.size() < 2 + k) return bad();
    len = 0;
    for (size_t i = 0; i < k; ++i) len = (len << 8) | static_cast<unsigned char>(in[2 + i]);
    at = 2 + k;
  }
  if (in.size() - at < len) return bad();
  t.content = in.substr(at, len);
  t.whole = in.substr(0, at + len);
  in.remove_prefix(at + len);
  return t;
}
Result<std::vector<Tlv>> children(std::string_view content) {
  std::vector<Tlv> out;
  while (!content.empty()) {
    CL_ASSIGN(Tlv t, read(content));
    out.push_back(t);
  }
  return out;
}
Result<std::vector<Tlv>> sequence(std::string_view der, size_t min_items, const char* what) {
  std::string_view in = der;
  CL_ASSIGN(Tlv t, read(in));
  if (t.tag != 0x30) return make_error(Errc::invalid_argument, std::string("SES: ") + what + " is not a SEQUENCE");
  CL_ASSIGN(auto items, children(t.content));
  if (items.size() < min_items) return make_error(Errc::invalid_argument, std::string("SES: ") + what + " is short");
  return items;
}
std::string_view bit_content(const Tlv& t) { return t.content.empty() ? t.content : t.content.substr(1); }

Result<std::shared_ptr<X509>> parse_cert(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  X509* x = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
  if (!x) return make_error(Errc::invalid_argument, "SES: unreadable certificate");
  return std::shared_ptr<X509>(x, X509_free);
}

}  // namespace

std::string generalized_time(UnixMillis t) {
  const time_t s = static_cast<time_t>(t / 1000);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d%H%M%SZ", &tm);
  return buf;
}

std::string sm3(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), md, &n, EVP_sm3(), nullptr);
  return std::string(reinterpret_cast<char*>(md), n);
}

Result<std::string> make_seal(const SealIdentity& id, const SealPicture& pic, UnixMillis created) {
  const std::string signer_cert = cert_der(id.certificate.get());
  const std::string info = seq({
      seq({ia5("ES"), integer(4), ia5("certledger")}),                         // header
      ia5(id.code + "-seal"),                                                  // esID
      seq({integer(1), utf8(id.name), integer(1), seq({octets(signer_cert)}),  // property: 单位印章
           gtime(created), gtime(created), gtime(created + int64_t{5} * 365 * 86400 * 1000)}),
      seq({ia5(pic.type), octets(pic.data), integer(pic.width_mm), integer(pic.height_mm)}),  // picture
  });
  const std::string maker = cert_der(id.maker_certificate.get());
  const std::string alg = oid(kOidEcdsaSha256);
  CL_ASSIGN(std::string sig, sign_der(*id.maker_key, seq({info, octets(maker), alg})));
  return seq({info, octets(maker), alg, bits(sig)});
}

Result<std::string> ses_sign(const SealIdentity& id, const std::string& seal, std::string_view data,
                             std::string_view property_info, UnixMillis when) {
  const std::string tbs = seq({integer(4), seal, gtime(when), bits(sm3(data)), ia5(property_info)});
  CL_ASSIGN(std::string sig, sign_der(*id.key, tbs));
  return seq({tbs, octets(cert_der(id.certificate.get())), oid(kOidSm2Sm3), bits(sig)});
}

Result<SesVerified> ses_verify(std::string_view der, std::string_view data) {
  CL_ASSIGN(auto top, sequence(der, 4, "SES_Signature"));
  if (top[2].whole != oid(kOidSm2Sm3))
    return make_error(Errc::invalid_argument, "SES: signature algorithm is not SM2-SM3");
  CL_ASSIGN(auto signer, parse_cert(top[1].content));
  CL_TRY(verify_der(X509_get0_pubkey(signer.get()), true, top[0].whole, bit_content(top[3])));
  CL_ASSIGN(auto tbs, sequence(top[0].whole, 5, "TBS_Sign"));
  if (bit_content(tbs[3]) != sm3(data))
    return make_error(Errc::corruption, "SES: dataHash does not match the signed file");
  CL_ASSIGN(auto seal, sequence(tbs[1].whole, 4, "SESeal"));
  CL_ASSIGN(auto maker, parse_cert(seal[1].content));
  if (seal[2].whole != oid(kOidEcdsaSha256))
    return make_error(Errc::invalid_argument, "SES: seal maker algorithm is not ECDSA-SHA256");
  CL_TRY(verify_der(X509_get0_pubkey(maker.get()), false,
                    seq({std::string(seal[0].whole), std::string(seal[1].whole), std::string(seal[2].whole)}),
                    bit_content(seal[3])));
  if (X509_verify(signer.get(), X509_get0_pubkey(maker.get())) != 1)
    return make_error(Errc::corruption, "SES: the signer certificate is not issued by the seal maker");
  CL_ASSIGN(auto info, sequence(seal[0].whole, 4, "SES_SealInfo"));
  CL_ASSIGN(auto property, sequence(info[2].whole, 7, "SES_ESPropertyInfo"));
  CL_ASSIGN(auto picture, sequence(info[3].whole, 4, "SES_ESPictrueInfo"));
  SesVerified v;
  v.seal_name = std::string(property[1].content);
  v.picture_type = std::string(picture[0].content);
  v.picture = std::string(picture[1].content);
  char cn[256] = {0};
  X509_NAME_get_text_by_NID(X509_get_subject_name(signer.get()), NID_commonName, cn, sizeof cn);
  v.signer_subject = cn;
  std::string t(tbs[2].content);  // YYYYMMDDHHMMSSZ
  if (t.size() == 15) {
    std::tm tm{};
    tm.tm_year = std::stoi(t.substr(0, 4)) - 1900;
    tm.tm_mon = std::stoi(t.substr(4, 2)) - 1;
    tm.tm_mday = std::stoi(t.substr(6, 2));
    tm.tm_hour = std::stoi(t.substr(8, 2));
    tm.tm_min = std::stoi(t.substr(10, 2));
    tm.tm_sec = std::stoi(t.substr(12, 2));
    v.time = static_cast<UnixMillis>(timegm(&tm)) * 1000;
  }
  return v;
}

}  // namespace certledger::render
