#include "ledger/crypto/jws.h"

#include <optional>
#include <unordered_map>

#include "ledger/util/encoding.h"
#include "ledger/util/json.h"

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

namespace {

Error bad_record(std::string m) { return make_error(Errc::corruption, "signed record: " + m); }

// The members of the record, as JSON strings, undecoded.
struct RawMembers {
  std::string_view payload, protected_b64, signature;
};

// The form jws_sign writes, {"payload":"…","protected":"…","signature":"…"}
// with nothing else, recognised without a JSON parser: base64url has neither
// '"' nor '\\', so each value ends at the next quote and needs no unescaping
// (the base64url decoding that follows rejects anything else). Any other
// spelling of the same JSON takes the general path.
std::optional<RawMembers> canonical_members(std::string_view r) {
  auto take = [&r](std::string_view prefix, std::string_view& value) {
    if (r.substr(0, prefix.size()) != prefix) return false;
    r.remove_prefix(prefix.size());
    const size_t end = r.find('"');
    if (end == std::string_view::npos) return false;
    value = r.substr(0, end);
    r.remove_prefix(end);
    return true;
  };
  RawMembers m;
  if (!take("{\"payload\":\"", m.payload) || !take("\",\"protected\":\"", m.protected_b64) ||
      !take("\",\"signature\":\"", m.signature) || r != "\"}")
    return std::nullopt;
  return m;
}

struct Header {
  std::string alg, kid;
};

Result<Header> parse_header(std::string_view protected_b64) {
  auto bytes = base64url_decode(protected_b64);
  if (!bytes) return bad_record("member is not base64url");
  auto parsed = parse_json(*bytes, "the protected header");
  if (!parsed.ok() || !parsed->is_object()) return bad_record("protected header is not a JSON object");
  const json& header = *parsed;
  if (!header.contains("alg") || !header["alg"].is_string() || !header.contains("kid") || !header["kid"].is_string())
    return bad_record("protected header needs alg and kid");
  if (header.contains("crit")) return bad_record("unsupported crit header");
  if (header.value("typ", std::string()) != kEventTyp) return bad_record("typ must be certledger-event+json");
  return Header{header["alg"].get<std::string>(), header["kid"].get<std::string>()};
}

// A log has one protected header per signing key: remember the parsed ones
// (per thread, bounded).
Result<Header> cached_header(std::string_view protected_b64) {
  thread_local std::unordered_map<std::string, Header> cache;
  if (auto it = cache.find(std::string(protected_b64)); it != cache.end()) return it->second;
  CL_ASSIGN(Header h, parse_header(protected_b64));
  if (cache.size() >= 256) cache.clear();
  cache.emplace(std::string(protected_b64), h);
  return h;
}

Result<JwsParts> assemble(std::string_view payload_b64, std::string_view protected_b64, std::string_view sig_b64) {
  auto sig = base64url_decode(sig_b64);
  auto payload = base64url_decode(payload_b64);
  if (!sig || !payload) return bad_record("member is not base64url");
  CL_ASSIGN(Header h, cached_header(protected_b64));
  JwsParts p;
  p.protected_b64 = protected_b64;
  p.payload_b64 = payload_b64;
  p.alg = std::move(h.alg);
  p.kid = std::move(h.kid);
  p.signature = std::move(*sig);
  p.payload = std::move(*payload);
  return p;
}

}  // namespace

Result<JwsParts> jws_parse(std::string_view record) {
  if (auto m = canonical_members(record)) {
    auto p = assemble(m->payload, m->protected_b64, m->signature);
    if (p.ok()) return p;
    // Fall through: the general path gives the authoritative answer.
  }
  auto parsed = parse_json(record, "the record");
  if (!parsed.ok()) return bad_record(parsed.error().message);
  json& j = *parsed;
  if (!j.is_object()) return bad_record("not a JSON object");
  if (j.size() != 3 || !j.contains("payload") || !j.contains("protected") || !j.contains("signature"))
    return bad_record("must have exactly payload, protected and signature");
  for (const char* k : {"payload", "protected", "signature"})
    if (!j[k].is_string()) return bad_record(std::string(k) + " must be a string");
  return assemble(j["payload"].get_ref<const std::string&>(), j["protected"].get_ref<const std::string&>(),
                  j["signature"].get_ref<const std::string&>());
}

Status jws_verify(const JwsParts& p, const PublicKey& key) {
  if (p.alg != jws_alg(key.alg()))
    return make_error(Errc::corruption,
                      "record alg " + p.alg + " does not match key " + p.kid + " (" + jws_alg(key.alg()) + ")");
  auto st = key.verify(p.signing_input(), p.signature);
  if (!st) return make_error(Errc::corruption, "signature of " + p.kid + " does not verify");
  return {};
}

}  // namespace certledger::crypto
