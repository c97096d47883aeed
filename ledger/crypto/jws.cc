#include "ledger/crypto/jws.h"

#include "ledger/util/encoding.h"

namespace certledger::crypto {

using nlohmann::json;

Result<std::string> jws_sign(const PrivateKey& key, std::string_view kid, std::string_view payload) {
  json header = {{"alg", jws_alg(key.alg())}, {"kid", kid}, {"typ", kEventTyp}};
  std::string protected_b64 = base64url_encode(header.dump());
  std::string payload_b64 = base64url_encode(payload);
  std::string input;
  input.reserve(protected_b64.size() + 1 + payload_b64.size());
  input += protected_b64;
  input += '.';
  input += payload_b64;
  CL_ASSIGN(std::string sig, key.sign(input));
  std::string out;
  out.reserve(input.size() + 128);
  out += "{\"payload\":\"";
  out += payload_b64;
  out += "\",\"protected\":\"";
  out += protected_b64;
  out += "\",\"signature\":\"";
  out += base64url_encode(sig);
  out += "\"}";
  return out;
}

Result<JwsParts> jws_parse(std::string_view record) {
  auto bad = [](std::string m) { return make_error(Errc::corruption, "signed record: " + m); };
  json j = json::parse(record, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  if (j.size() != 3 || !j.contains("payload") || !j.contains("protected") || !j.contains("signature"))
    return bad("must have exactly payload, protected and signature");
  for (const char* k : {"payload", "protected", "signature"})
    if (!j[k].is_string()) return bad(std::string(k) + " must be a string");
  JwsParts p;
  p.protected_b64 = j["protected"].get<std::string>();
  p.payload_b64 = j["payload"].get<std::string>();
  auto sig = base64url_decode(j["signature"].get<std::string>());
  auto header_bytes = base64url_decode(p.protected_b64);
  auto payload = base64url_decode(p.payload_b64);
  if (!sig || !header_bytes || !payload) return bad("member is not base64url");
  json header = json::parse(*header_bytes, nullptr, false);
  if (header.is_discarded() || !header.is_object()) return bad("protected header is not JSON");
  if (!header.contains("alg") || !header["alg"].is_string() || !header.contains("kid") ||
      !header["kid"].is_string())
    return bad("protected header needs alg and kid");
  if (header.contains("crit")) return bad("unsupported crit header");
  if (header.value("typ", std::string()) != kEventTyp) return bad("typ must be certledger-event+json");
  p.alg = header["alg"].get<std::string>();
  p.kid = header["kid"].get<std::string>();
  p.signature = std::move(*sig);
  p.payload = std::move(*payload);
  return p;
}

Status jws_verify(const JwsParts& p, const PublicKey& key) {
  if (p.alg != jws_alg(key.alg()))
    return make_error(Errc::corruption, "record alg " + p.alg + " does not match key " + p.kid +
                                            " (" + jws_alg(key.alg()) + ")");
  auto st = key.verify(p.signing_input(), p.signature);
  if (!st) return make_error(Errc::corruption, "signature of " + p.kid + " does not verify");
  return {};
}

}  // namespace certledger::crypto
