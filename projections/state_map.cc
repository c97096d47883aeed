#include "projections/state_map.h"

#include <nlohmann/json.hpp>

#include "ledger/domain/kinds.h"
#include "ledger/util/encoding.h"

namespace certledger::projections {

using nlohmann::json;

std::string public_statement(const CertView& v, uint32_t version) {
  const auto& s = v.state;
  const VersionInfo* vi = nullptr;
  for (const auto& x : v.versions)
    if (x.version == version) vi = &x;
  // Expiry is left to the verifier (valid_until against the checkpoint's
  // time): the statement changes only when a record changes it.
  const PublicView pv = public_view(v, version, Date{});
  json fields = json::object();
  if (const auto* kind = domain::find_kind(s.kind); kind && vi)
    fields = public_fields(*kind, json::parse(vi->fields_json, nullptr, false));
  if (fields.is_discarded()) fields = json::object();
  const std::string valid_from = fields.value("valid_from", fields.value("issue_date", ""));
  json j = {
      {"v", kStatementFormat},       {"certificate", s.id},      {"kind", s.kind},
      {"authority", s.authority},    {"version", version},       {"status", public_status_name(pv.status)},
      {"fields", std::move(fields)}, {"valid_from", valid_from}, {"valid_until", vi ? vi->valid_until : std::string()},
      {"position", v.last_position}};
  if (pv.superseded_by) j["superseded_by"] = *pv.superseded_by;
  if (!pv.since.empty()) j["since"] = pv.since;
  if (!pv.reason.empty()) j["reason"] = pv.reason;
  return j.dump(-1, ' ', false, json::error_handler_t::strict);
}

merkle::MapUpdate statement_entry(std::string_view token, std::string_view statement) {
  return {sha256(token), sha256(statement)};
}

std::vector<merkle::MapUpdate> statement_entries(const CertView& v) {
  std::vector<merkle::MapUpdate> out;
  out.reserve(v.versions.size());
  for (const auto& x : v.versions) out.push_back(statement_entry(x.token, public_statement(v, x.version)));
  return out;
}

std::string encode_map_root(uint64_t size, const Hash256& root) { return be64(size) + hash_bytes(root); }

std::optional<Hash256> map_root_at(const store::EventStore& s, uint64_t size) {
  auto v = s.get(kCfStateMap, kMapRootKey);
  if (!v || v->size() != 40 || get_be64(*v) != size) return std::nullopt;
  Hash256 h;
  std::copy(v->begin() + 8, v->end(), h.begin());
  return h;
}

std::optional<std::string> map_root_line(const store::EventStore& s, uint64_t size) {
  auto root = map_root_at(s, size);
  if (!root) return std::nullopt;
  return "map-root " + base64_encode(hash_bytes(*root));
}

std::vector<std::string> checkpoint_extensions(const store::EventStore& s, uint64_t size) {
  std::vector<std::string> lines;
  if (auto root = map_root_line(s, size)) lines.push_back(*root);
  return lines;
}

std::optional<Hash256> map_root_of(const std::vector<std::string>& extensions) {
  for (const auto& line : extensions) {
    if (line.rfind("map-root ", 0) != 0) continue;
    auto raw = base64_decode(std::string_view(line).substr(9));
    if (!raw || raw->size() != 32) return std::nullopt;
    Hash256 h;
    std::copy(raw->begin(), raw->end(), h.begin());
    return h;
  }
  return std::nullopt;
}

}  // namespace certledger::projections
