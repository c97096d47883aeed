#include "projections/state_map.h"

#include "ledger/domain/privacy.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "ledger/domain/kinds.h"
#include "ledger/domain/lifecycle.h"
#include "ledger/merkle/checkpoint.h"
#include "ledger/records.h"
#include "ledger/util/encoding.h"
#include "ledger/util/json_scan.h"

namespace certledger::projections {

using nlohmann::json;

namespace {

// Strings as nlohmann::json::dump writes them (json_append_string), other
// values by it, so the statement's bytes do not depend on which wrote them.
void append_json(std::string& out, const json& v) {
  if (v.is_string()) json_append_string(out, v.get_ref<const std::string&>());
  else out += v.dump(-1, ' ', false, json::error_handler_t::strict);
}

void append_member(std::string& out, std::string_view name) {
  if (out.back() != '{') out += ',';
  json_append_string(out, name);
  out += ':';
}

}  // namespace

// Written directly (members in byte order, as a json object dumps them):
// the writer builds one statement per version of every certificate it
// touches, and building nlohmann objects for that cost the ingest path
// tens of microseconds per record. tests/unit/state_map_test.cc checks the
// bytes against the same statement built as a json object.
std::string public_statement(const CertView& v, uint32_t version) {
  const auto& s = v.state;
  const VersionInfo* vi = nullptr;
  for (const auto& x : v.versions)
    if (x.version == version) vi = &x;
  // Expiry is left to the verifier (valid_until against the checkpoint's
  // time): the statement changes only when a record changes it.
  const PublicView pv = public_view(v, version, Date{});
  // Fields change only with a new version, so the current version's are
  // the state's (no parse); older versions keep theirs as JSON text.
  json parsed;
  const json* fields = nullptr;
  if (vi && version == s.doc_version) {
    fields = &s.fields;
  } else if (vi) {
    parsed = json::parse(vi->fields_json, nullptr, false);
    if (parsed.is_object()) fields = &parsed;
  }
  // The public fields (masked, no photos), in name order.
  std::vector<std::pair<std::string_view, std::string>> shown;
  std::optional<std::string> valid_from, issue_date;
  const auto* kind = domain::find_kind(s.kind);
  if (kind && fields) {
    for (const auto& spec : kind->fields) {
      auto it = fields->find(std::string(spec.name));
      if (it == fields->end()) continue;
      auto value = domain::public_value(*kind, spec, *it);  // the one public form of each field
      if (!value) continue;
      std::string text;
      append_json(text, *value);
      if (domain::public_form_of(*kind, spec) == domain::PublicForm::shown && it->is_string()) {
        if (spec.name == "valid_from") valid_from = it->get<std::string>();
        if (spec.name == "issue_date") issue_date = it->get<std::string>();
      }
      shown.emplace_back(spec.name, std::move(text));
    }
    std::sort(shown.begin(), shown.end());
  }
  if (!valid_from) valid_from = issue_date;

  std::string out = "{";
  out.reserve(512);
  append_member(out, "authority");
  json_append_string(out, s.authority);
  append_member(out, "certificate");
  json_append_string(out, s.id);
  append_member(out, "fields");
  out += '{';
  for (const auto& [name, text] : shown) {
    append_member(out, name);
    out += text;
  }
  out += '}';
  append_member(out, "kind");
  json_append_string(out, s.kind);
  append_member(out, "position");
  out += std::to_string(v.last_position);
  if (!pv.reason.empty()) {
    append_member(out, "reason");
    json_append_string(out, pv.reason);
  }
  if (!pv.since.empty()) {
    append_member(out, "since");
    json_append_string(out, pv.since);
  }
  append_member(out, "status");
  json_append_string(out, public_status_name(pv.status));
  if (pv.superseded_by) {
    append_member(out, "superseded_by");
    out += std::to_string(*pv.superseded_by);
  }
  append_member(out, "v");
  out += std::to_string(kStatementFormat);
  append_member(out, "valid_from");
  json_append_string(out, valid_from.value_or(""));
  append_member(out, "valid_until");
  json_append_string(out, vi ? vi->valid_until : std::string());
  append_member(out, "version");
  out += std::to_string(version);
  out += '}';
  return out;
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

std::string map_bucket_key(uint32_t bucket) {
  std::string k = "B";
  k += static_cast<char>(bucket >> 8);
  k += static_cast<char>(bucket & 0xff);
  return k;
}

std::string map_bucket_root_key(uint32_t bucket) {
  std::string k = map_bucket_key(bucket);
  k[0] = 'H';
  return k;
}

void BatchBuckets::put_root(uint32_t b, const Hash256& root, uint32_t count) {
  std::string v = hash_bytes(root);
  put_be32(v, count);
  w_.put(kCfStateMap, map_bucket_root_key(b), v);
}

Result<BucketRoots> read_bucket_roots(const BucketScan& scan) {
  BucketRoots out;
  Status bad;
  CL_TRY(scan(kCfStateMap, "H", [&](std::string_view k, std::string_view v) {
    if (k.size() != 3 || v.size() != 36) {
      bad = make_error(Errc::corruption, "state map: a bucket root entry of " + std::to_string(k.size()) + "+" +
                                             std::to_string(v.size()) + " bytes");
      return false;
    }
    merkle::BucketMap::BucketRoot r;
    std::copy(v.begin(), v.begin() + 32, r.root.begin());
    r.count = get_be32(v.substr(32));
    out.emplace_back((uint32_t(static_cast<unsigned char>(k[1])) << 8) | static_cast<unsigned char>(k[2]), r);
    return true;
  }));
  CL_TRY(bad);
  return out;
}

Status load_bucket_map(const store::EventStore& s, merkle::BucketMap& map) {
  map.clear();
  CL_ASSIGN(auto roots,
            read_bucket_roots([&](std::string_view cf, std::string_view prefix, const store::EventStore::Visitor& fn) {
              return s.scan_prefix(cf, prefix, fn);
            }));
  map.set_roots(roots);
  return {};
}

std::string encode_map_root(uint64_t size, const Hash256& root) {
  return be64(size) + hash_bytes(root) + static_cast<char>(kMapFormat);
}

std::optional<std::pair<uint64_t, Hash256>> decode_map_root(std::string_view v) {
  if (v.size() != 41 || static_cast<unsigned char>(v[40]) != kMapFormat) return std::nullopt;
  return std::pair{get_be64(v), *hash_from_bytes(v.substr(8, 32))};
}

std::optional<Hash256> map_root_at(const store::EventStore& s, uint64_t size) {
  auto v = s.get(kCfStateMap, kMapRootKey);
  auto r = v ? decode_map_root(*v) : std::nullopt;
  if (!r || r->first != size) return std::nullopt;
  return r->second;
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

std::optional<Hash256> map_root_of(const merkle::Checkpoint& c) {
  auto line = merkle::checkpoint_extension(c, "map-root");
  auto raw = line ? base64_decode(*line) : std::nullopt;
  return raw ? hash_from_bytes(*raw) : std::nullopt;
}

std::optional<std::string> MapAuditor::Nodes::get(std::string_view k) const {
  auto it = m.find(std::string(k));
  if (it == m.end()) return std::nullopt;
  return it->second;
}

Status MapAuditor::expect_checkpoint(uint64_t size, std::string_view note) {
  auto body = merkle::parse_checkpoint_body(note);
  if (!body.ok())
    return make_error(Errc::corruption, "checkpoint " + std::to_string(size) + ": " + body.error().message);
  if (auto root = map_root_of(*body)) expected_[size] = *root;
  return {};
}

Status MapAuditor::add(const domain::Record& r) {
  const domain::Event& e = r.event;
  if (domain::command_of_event_type(e.type)) {
    CertView& v = views_[e.stream];
    CL_TRY(apply(v, e, r.position, hash_hex(r.hash)));
    for (auto& entry : statement_entries(v)) queued_.push_back(entry);
  } else if (e.type == domain::kHolderErased) {
    CL_ASSIGN(auto erasure, domain::erasure_of(e));
    for (const auto& id : erasure.certificates) {
      auto it = views_.find(id);
      if (it == views_.end()) return make_error(Errc::corruption, "holder.erased names unknown certificate " + id);
      CL_TRY(apply_erasure(it->second, e, r.position));
      for (auto& entry : statement_entries(it->second)) queued_.push_back(entry);
    }
  }
  auto it = expected_.find(r.position);
  if (it == expected_.end()) return {};
  const Hash256 root = merkle::map_update(nodes_, std::move(queued_));
  queued_.clear();
  if (root != it->second)
    return make_error(Errc::corruption, "checkpoint " + std::to_string(r.position) +
                                            ": its map-root is not the root the records make (" + hash_hex(root) + ")");
  expected_.erase(it);
  ++checked_;
  return {};
}

Result<uint64_t> audit_state_map(const store::EventStore& store,
                                 const std::function<void(uint64_t, uint64_t)>& progress) {
  MapAuditor a;
  uint64_t newest = 0;
  for (const auto& [size, note] : store.checkpoints()) {
    CL_TRY(a.expect_checkpoint(size, note));
    newest = std::max(newest, size);
  }
  const uint64_t last = std::min(store.last_position(), newest);
  if (a.unreached() == 0 || last == 0) return uint64_t{0};
  CL_TRY(for_each_record(store, 1, last, [&](domain::Record& r) -> Status {
    CL_TRY(a.add(r));
    if (progress && (r.position % 4096 == 0 || r.position == last)) progress(r.position, last);
    return {};
  }));
  return a.checked();
}

}  // namespace certledger::projections
