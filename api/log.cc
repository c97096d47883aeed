// The log over HTTP: checkpoints, inclusion and consistency proofs
// (doc/checkpoint_format.md) and the audit feed of signed records.
#include "api/handlers.h"
#include "api/service.h"
#include "ledger/domain/event.h"
#include "ledger/merkle/tiles.h"
#include "ledger/merkle/tree.h"
#include "ledger/util/encoding.h"

namespace certledger::api {

using nlohmann::json;
using namespace handlers;

Response Service::events_feed(const Request& req, const TokenInfo& who) {
  if (who.role != domain::Role::auditor && who.role != domain::Role::admin)
    return problem_from(make_error(Errc::forbidden, "the audit feed needs the auditor or admin role"));
  uint64_t after = 0, limit = 100;
  if (auto a = req.query("after")) {
    auto n = parse_decimal(*a);
    if (!n) return bad_request("after must be a position", "after");
    after = *n;
  }
  if (auto l = req.query("limit")) {
    auto n = parse_decimal(*l);
    if (!n || *n == 0 || *n > 1000) return bad_request("limit must be 1-1000", "limit");
    limit = *n;
  }
  // A log-wide token reads every record. An authority's auditor or admin
  // reads its own authority's records and the log's own (keys, origin);
  // the scan stops after kScanWindow positions so a sparse authority costs
  // a bounded amount per page, and next_after says where to go on.
  constexpr uint64_t kScanWindow = 10000;
  const uint64_t last = ledger_.store().last_position();
  const uint64_t scan_to = who.log_wide ? after + limit : std::min(after + kScanWindow, std::max(last, after));
  json arr = json::array();
  uint64_t next = after;
  Status bad;
  auto st = ledger_.store().scan(after + 1, scan_to, [&](uint64_t pos, std::string_view rec) {
    if (!who.log_wide) {
      auto env = domain::decode_envelope(pos, rec);
      if (!env.ok()) {
        bad = env.error();
        return false;
      }
      const std::string& a = env->event.authority;
      if (a != who.authority && a != kLogAuthority) {
        next = pos;
        return true;
      }
    }
    arr.push_back({{"position", pos}, {"record", json::parse(rec)}});
    next = pos;
    return arr.size() < limit;
  });
  if (!st.ok()) return problem_from(st.error());
  if (!bad.ok()) return problem_from(bad.error());
  Response r = Response::json(200, {{"events", arr},
                                    {"next_after", next},
                                    {"last_position", last},
                                    {"scope", who.log_wide ? "log" : who.authority}});
  no_store(r);
  return r;
}

Response Service::checkpoint(const Request& req) {
  auto size = req.query("tree_size");
  std::optional<std::string> note;
  if (size) {
    auto n = parse_decimal(*size);
    if (!n) return bad_request("tree_size must be a number", "tree_size");
    note = ledger_.store().checkpoint_at(*n);
  } else if (auto cp = ledger_.store().latest_checkpoint()) {
    note = cp->second;
  }
  if (!note) return not_found_json("no checkpoint yet");
  Response r = Response::text(200, *note);
  no_store(r);
  return r;
}

Response Service::tiles_checkpoint() {
  auto cp = ledger_.store().latest_checkpoint();
  if (!cp) return not_found_json("no checkpoint yet");
  Response r = Response::text(200, cp->second, "text/plain; charset=utf-8");
  no_store(r);
  return r;
}

// C2SP tlog-tiles: hash tiles from the stored tree nodes, entry bundles from
// the records. Any tile whose contents exist is served (a tile's bytes
// never change once it exists): full ones cached for good, partial ones
// briefly (a client asks for the wider one as the log grows).
Response Service::tile(const std::string& path, bool entries) {
  auto t = merkle::parse_tile_path("tile/" + std::string(entries ? "entries/" : "") + path);
  if (!t) return not_found_json("not a tile path (C2SP tlog-tiles)");
  const auto& store = ledger_.store();
  const uint64_t size = store.last_position();
  const uint64_t first = t->index * merkle::kTileWidth;
  const unsigned shift = t->level * merkle::kTileHeight;
  const uint64_t available = shift >= 64 ? 0 : size >> shift;  // nodes of that tree level
  if (t->index > UINT64_MAX / merkle::kTileWidth || first + t->width > available)
    return not_found_json("the log has no such tile yet");
  std::string body;
  if (!entries) {
    auto hashes = store.merkle_nodes(static_cast<uint8_t>(shift), first, t->width);
    if (!hashes.ok()) return problem_from(hashes.error());
    body = std::move(*hashes);
  } else {
    Status bad;
    auto st = store.scan(first + 1, first + t->width, [&](uint64_t, std::string_view rec) {
      if (rec.size() > 0xffff) {
        bad = make_error(Errc::internal, "a record longer than a log entry can be");
        return false;
      }
      body += static_cast<char>(rec.size() >> 8);
      body += static_cast<char>(rec.size() & 0xff);
      body += rec;
      return true;
    });
    if (!st.ok()) return problem_from(st.error());
    if (!bad.ok()) return problem_from(bad.error());
  }
  Response r = Response::text(200, std::move(body), "application/octet-stream");
  r.set("Cache-Control", t->width == merkle::kTileWidth ? "public, max-age=31536000, immutable" : "public, max-age=10");
  return r;
}

Response Service::inclusion_proof(const Request& req) {
  auto pos = parse_decimal(req.query("position").value_or("")),
       size = parse_decimal(req.query("tree_size").value_or(""));
  if (!pos || !size) return bad_request("position and tree_size are required numbers");
  if (*pos == 0 || *pos > *size || *size > ledger_.store().last_position())
    return problem_from(make_error(Errc::invalid_argument, "need 1 <= position <= tree_size <= " +
                                                               std::to_string(ledger_.store().last_position())));
  auto proof = merkle::inclusion_proof(*pos - 1, *size, ledger_.store().node_source());
  if (!proof.ok()) return problem_from(proof.error());
  auto rec = ledger_.store().record_at(*pos);
  if (!rec.ok()) return problem_from(rec.error());
  json hashes = json::array();
  for (const auto& h : *proof) hashes.push_back(base64_encode(hash_bytes(h)));
  auto root = merkle::subtree_root(0, *size, ledger_.store().node_source());
  return Response::json(200, {{"position", *pos},
                              {"leaf_index", *pos - 1},
                              {"tree_size", *size},
                              {"leaf_hash", base64_encode(hash_bytes(merkle::leaf_hash(*rec)))},
                              {"root_hash", root.ok() ? base64_encode(hash_bytes(*root)) : ""},
                              {"proof", hashes}});
}

Response Service::consistency_proof(const Request& req) {
  auto from = parse_decimal(req.query("from").value_or("")), to = parse_decimal(req.query("to").value_or(""));
  if (!from || !to) return bad_request("from and to are required numbers");
  if (*from > *to || *to > ledger_.store().last_position())
    return problem_from(
        make_error(Errc::invalid_argument, "need from <= to <= " + std::to_string(ledger_.store().last_position())));
  auto proof = merkle::consistency_proof(*from, *to, ledger_.store().node_source());
  if (!proof.ok()) return problem_from(proof.error());
  json hashes = json::array();
  for (const auto& h : *proof) hashes.push_back(base64_encode(hash_bytes(h)));
  return Response::json(200, {{"from", *from}, {"to", *to}, {"proof", hashes}});
}

}  // namespace certledger::api
