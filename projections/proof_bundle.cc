#include "projections/proof_bundle.h"

#include <nlohmann/json.hpp>
#include <vector>

#include "ledger/merkle/checkpoint.h"
#include "ledger/merkle/state_map.h"
#include "ledger/merkle/tree.h"
#include "ledger/util/encoding.h"
#include "projections/queries.h"
#include "projections/state_map.h"

namespace certledger::projections {

namespace {

std::string b64(const Hash256& h) { return base64_encode(hash_bytes(h)); }

Error broken(const std::string& why) { return make_error(Errc::corruption, "statement proof: " + why); }

Result<Hash256> hash_of_b64(std::string_view s, const char* what) {
  auto raw = base64_decode(s);
  if (!raw || raw->size() != 32) return broken(std::string(what) + " is not a base64 SHA-256 hash");
  Hash256 h;
  std::copy(raw->begin(), raw->end(), h.begin());
  return h;
}

std::optional<uint64_t> time_of(const std::vector<std::string>& extensions) {
  for (const auto& line : extensions)
    if (line.rfind("time ", 0) == 0) return parse_decimal(std::string_view(line).substr(5));
  return std::nullopt;
}

}  // namespace

Result<std::string> build_statement_bundle(const store::EventStore& store, std::string_view token) {
  auto latest = store.latest_checkpoint();
  if (!latest || latest->first != store.last_position())
    return make_error(Errc::unavailable, "the log has records after its latest checkpoint");
  const uint64_t size = latest->first;
  if (!map_root_at(store, size))
    return make_error(Errc::unavailable, "the state map is not at the latest checkpoint's size");
  merkle::BucketMap map;
  CL_TRY(load_bucket_map(store, map));
  std::string out(kBundleHeader);
  out += "\ntoken " + std::string(token) + "\n";
  auto hit = Reader(store).by_token(token);
  std::string statement;
  if (hit.ok()) {
    statement = public_statement(hit->view, hit->version);
    out += "statement " + base64_encode(statement) + "\n";
  }
  out += "map-proof " + base64_encode(map.prove(StoreBuckets(store), sha256(token)).encode()) + "\n";
  if (hit.ok()) {
    const uint64_t position = hit->view.last_position;
    CL_ASSIGN(std::string record, store.record_at(position));
    out += "record " + std::to_string(position) + " " + b64(merkle::leaf_hash(record)) + "\n";
    CL_ASSIGN(auto path, merkle::inclusion_proof(position - 1, size, store.node_source()));
    for (const auto& h : path) out += "inclusion " + b64(h) + "\n";
  }
  out += "\n";
  out += latest->second;
  return out;
}

Result<BundleCheck> verify_statement_bundle(std::string_view bundle, std::string_view origin,
                                            const crypto::PublicKey& log_key, UnixMillis now, int64_t max_age_seconds) {
  const size_t split = bundle.find("\n\n");
  if (split == std::string_view::npos) return broken("no blank line before the checkpoint");
  std::vector<std::string_view> lines;
  for (std::string_view head = bundle.substr(0, split + 1); !head.empty();) {
    const size_t nl = head.find('\n');
    lines.push_back(head.substr(0, nl));
    head.remove_prefix(nl + 1);
  }
  if (lines.empty() || lines[0] != kBundleHeader) return broken("the first line is not " + std::string(kBundleHeader));
  BundleCheck out;
  std::optional<std::string> map_proof;
  std::optional<uint64_t> position;
  Hash256 leaf{};
  std::vector<Hash256> path;
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string_view l = lines[i];
    const size_t sp = l.find(' ');
    const std::string_view name = l.substr(0, sp), value = sp == std::string_view::npos ? "" : l.substr(sp + 1);
    if (name == "token" && out.token.empty() && !value.empty()) {
      out.token = std::string(value);
    } else if (name == "statement" && !out.statement) {
      auto s = base64_decode(value);
      if (!s) return broken("the statement is not base64");
      out.statement = std::move(*s);
    } else if (name == "map-proof" && !map_proof) {
      map_proof = base64_decode(value);
      if (!map_proof) return broken("the map proof is not base64");
    } else if (name == "record" && !position) {
      const size_t sp2 = value.find(' ');
      position = parse_decimal(value.substr(0, sp2));
      if (!position || *position == 0 || sp2 == std::string_view::npos) return broken("bad record line");
      CL_ASSIGN(leaf, hash_of_b64(value.substr(sp2 + 1), "the record's leaf hash"));
    } else if (name == "inclusion") {
      CL_ASSIGN(auto h, hash_of_b64(value, "an inclusion hash"));
      path.push_back(h);
    } else {
      return broken("unexpected line \"" + std::string(l.substr(0, 40)) + "\"");
    }
  }
  if (out.token.empty() || !map_proof) return broken("a token and a map proof are required");
  if (out.statement.has_value() != position.has_value())
    return broken("a statement comes with the record that made it, and only then");

  auto c = merkle::open_checkpoint(bundle.substr(split + 2), origin, log_key);
  if (!c.ok()) return broken("checkpoint: " + c.error().message);
  out.tree_size = c->size;
  auto map_root = map_root_of(c->extensions);
  auto seconds = time_of(c->extensions);
  if (!map_root || !seconds) return broken("the checkpoint has no map-root or time line");
  out.checkpoint_time = static_cast<UnixMillis>(*seconds) * 1000;
  out.age_seconds = now / 1000 - static_cast<int64_t>(*seconds);
  out.fresh = out.age_seconds <= max_age_seconds;

  CL_ASSIGN(auto proof, merkle::MapProof::decode(*map_proof));
  const std::optional<Hash256> value = out.statement ? std::optional<Hash256>(sha256(*out.statement)) : std::nullopt;
  if (auto st = merkle::map_verify(*map_root, sha256(out.token), value, proof); !st.ok())
    return broken(st.error().message);
  if (!out.statement) {
    out.status = "unknown";
    return out;
  }
  auto j = nlohmann::json::parse(*out.statement, nullptr, false);
  if (!j.is_object() || !j.contains("position") || !j["position"].is_number_unsigned() || !j.contains("status") ||
      !j["status"].is_string())
    return broken("the statement is not a statement object");
  if (j["position"].get<uint64_t>() != *position) return broken("the record line is not the statement's position");
  if (*position > c->size) return broken("the statement's record is beyond the checkpoint");
  if (auto st = merkle::verify_inclusion(*position - 1, c->size, leaf, path, c->root); !st.ok())
    return broken("record inclusion: " + st.error().message);
  out.status = j["status"].get<std::string>();
  if (out.status == "valid" && j.contains("valid_until") && j["valid_until"].is_string())
    if (auto until = parse_date(j["valid_until"].get<std::string>()); until && *until < china_date(out.checkpoint_time))
      out.status = "expired";
  return out;
}

}  // namespace certledger::projections
