#include "api/service.h"

#include <chrono>
#include <set>

#include "api/handlers.h"
#include "api/views.h"
#include "ledger/util/json.h"
#include "ledger/util/utf8.h"
#include "projections/queries.h"

namespace certledger::api {

using domain::CommandType;
using nlohmann::json;
using namespace handlers;

Result<json> parse_body(const Request& req, const std::set<std::string>& allowed) {
  if (req.body.empty()) return malformed_input("the request needs a JSON body");
  if (!is_valid_utf8(req.body)) return malformed_input("the body is not valid UTF-8");
  CL_ASSIGN(json j, parse_json(req.body, "the body"));
  if (!j.is_object()) return malformed_input("the body must be a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it)
    if (!allowed.count(it.key())) return malformed_input("unknown member \"" + it.key() + "\"", it.key());
  return j;
}

Service::Service(Ledger& ledger, const ServiceOptions& config, TokenStore& tokens, Metrics& metrics, Extensions ext,
                 Clock clock)
    : ledger_(ledger),
      config_(config),
      tokens_(tokens),
      metrics_(metrics),
      ext_(std::move(ext)),
      clock_(std::move(clock)),
      lookup_limiter_(config.lookup_per_minute, config.lookup_burst),
      holder_limiter_(config.holder_lookups_per_minute, config.holder_lookup_burst),
      verify_cache_(std::make_shared<VerifyCache>(config.verify_cache_entries)),
      prover_(std::make_unique<projections::StatementProver>(ledger.store())),
      router_([this](const Request& req) { return authenticate(req); }) {
  // Every checkpoint from now on; the latest now if the store is at it
  // (else the writer's next checkpoint, within checkpoint_interval_ms).
  prover_->follow();
  (void)prover_->publish_latest();
  add_routes();
  for (auto& r : ext_.routes) router_.add(std::move(r));
  ext_.routes.clear();
  // The metrics may outlive this service (tests replace services).
  metrics_.add_writer([weak = std::weak_ptr<VerifyCache>(verify_cache_)](std::string& out) {
    auto cache = weak.lock();
    if (!cache) return;
    Metrics::gauge(out, "certledger_verify_cache_hits_total", "Public verify answers served from the cache",
                   static_cast<double>(cache->hits()), "counter");
    Metrics::gauge(out, "certledger_verify_cache_misses_total", "Public verify answers rendered from the store",
                   static_cast<double>(cache->misses()), "counter");
    Metrics::gauge(out, "certledger_verify_cache_entries", "Rendered verify answers held",
                   static_cast<double>(cache->size()));
  });
}

// The route table. Every operation of api/openapi.json is one row; who may
// call each, per resource, is doc/authorization.md.
void Service::add_routes() {
  using P = const Request&;
  using C = const Call&;
  auto html = [](P req) { return req.header("Accept").find("application/json") == std::string::npos; };
  auto add = [this](const char* method, std::string pattern, Access access, const char* roles, Handler h) {
    router_.add({method, std::move(pattern), access, roles, std::move(h)});
  };
  const auto open = Access::open, token = Access::token;
  // Public verification (public.cc).
  add("GET", "/v/{token}", open, "anyone", [=, this](P req, C c) { return verify(c.params[0], html(req)); });
  add("GET", "/v/{token}/document.pdf", open, "anyone", [this](P, C c) { return public_document(c.params[0], "pdf"); });
  add("GET", "/v/{token}/document.ofd", open, "anyone", [this](P, C c) { return public_document(c.params[0], "ofd"); });
  add("GET", "/api/v1/verify/{token}", open, "anyone", [this](P, C c) { return verify(c.params[0], false); });
  add("GET", "/api/v1/lookup", open, "anyone (rate-limited per client)", [this](P req, C) { return lookup(req); });
  // Test reports and statistics (reports.cc).
  add("GET", "/r/{code}", open, "anyone", [=, this](P req, C c) { return public_report(req, c.params[0], html(req)); });
  add("GET", "/api/v1/reports/{code}/check", open, "anyone",
      [this](P req, C c) { return public_report(req, c.params[0], false); });
  add("POST", "/api/v1/reports", token, "institution", [this](P req, C c) { return create_report(req, *c.who); });
  add("GET", "/api/v1/reports/{code}", token, "its institution; its authority's staff",
      [this](P, C c) { return get_report(*c.who, c.params[0]); });
  add("POST", "/api/v1/reports/{code}/withdrawal", token, "its institution; an approver of its authority",
      [this](P req, C c) { return withdraw_report(req, *c.who, c.params[0]); });
  // Personal data (certificates.cc).
  add("POST", "/api/v1/holders/{ref}/erasure", token, "an approver of the holder's authority",
      [this](P req, C c) { return erase_holder(req, *c.who, c.params[0]); });
  add("GET", "/stats", open, "anyone", [this](P, C) { return stats_page(); });
  add("GET", "/api/v1/stats", token, "authority staff", [this](P req, C c) { return stats_json(req, *c.who); });
  // Operations.
  add("GET", "/healthz", open, "anyone", [this](P req, C) { return health(req, false); });
  add("GET", "/readyz", open, "anyone; details for admin and auditor tokens",
      [this](P req, C) { return health(req, true); });
  add("GET", "/metrics", open, "anyone",
      [this](P, C) { return Response::text(200, metrics_.render(), "text/plain; version=0.0.4; charset=utf-8"); });
  add("GET", std::string(kVerifierScriptPath), open, "anyone", [](P, C) {
    // Pages name it with its hash (?v=): a new build is a new URL.
    Response r = Response::text(200, statement_verifier_script(), "text/javascript; charset=utf-8");
    r.set("Cache-Control", "public, max-age=31536000, immutable");
    return r;
  });
  add("GET", "/openapi.json", open, "anyone",
      [](P, C) { return Response::text(200, openapi_document(), "application/json"); });
  // The log (log.cc).
  add("GET", "/api/v1/checkpoint", open, "anyone", [this](P req, C) { return checkpoint(req); });
  add("GET", "/api/v1/proofs/inclusion", open, "anyone", [this](P req, C) { return inclusion_proof(req); });
  add("GET", "/api/v1/proofs/consistency", open, "anyone", [this](P req, C) { return consistency_proof(req); });
  // The same log as C2SP tlog-tiles (log.cc).
  const std::string& tp = config_.tiles_prefix;
  add("GET", tp + "/checkpoint", open, "anyone", [this](P, C) { return tiles_checkpoint(); });
  add("GET", tp + "/tile/entries/{index...}", open, "anyone", [this](P, C c) { return tile(c.params[0], true); });
  add("GET", tp + "/tile/{level}/{index...}", open, "anyone",
      [this](P, C c) { return tile(c.params[0] + "/" + c.params[1], false); });
  add("GET", "/api/v1/keys", open, "anyone", [this](P, C) {
    Response r = Response::json(200, ledger_.jwks());
    r.set("Content-Type", "application/jwk-set+json");
    return r;
  });
  add("GET", "/api/v1/events", token, "auditor, admin (their authority's records, or the whole log when log-wide)",
      [this](P req, C c) { return events_feed(req, *c.who); });
  // Certificates (certificates.cc).
  add("POST", "/api/v1/certificates", token, "reviewer (convert), approver",
      [this](P req, C c) { return create_certificate(req, *c.who); });
  add("GET", "/api/v1/certificates", token, "authority staff (holder lookups, rate-limited per token)",
      [this](P req, C c) { return list_certificates(req, *c.who); });
  add("GET", "/api/v1/certificates/{id}", token, "its authority's staff; the institution holding it (masked)",
      [this](P req, C c) { return get_certificate(req, *c.who, c.params[0]); });
  add("GET", "/api/v1/certificates/{id}/events", token, "its authority's staff",
      [this](P, C c) { return certificate_events(*c.who, c.params[0]); });
  for (const char* format : {"pdf", "ofd"})
    add("GET",
        format == std::string_view("pdf") ? "/api/v1/certificates/{id}/document.pdf"
                                          : "/api/v1/certificates/{id}/document.ofd",
        token, "its authority's staff; the institution holding it (masked)",
        [this, format](P req, C c) { return certificate_document(req, *c.who, c.params[0], format); });
  static const std::pair<const char*, CommandType> kOperations[] = {
      {"/api/v1/certificates/{id}/amendments", CommandType::amend},
      {"/api/v1/certificates/{id}/reissues", CommandType::reissue},
      {"/api/v1/certificates/{id}/renewals", CommandType::renew},
      {"/api/v1/certificates/{id}/reviews", CommandType::review},
      {"/api/v1/certificates/{id}/suspensions", CommandType::suspend},
      {"/api/v1/certificates/{id}/reinstatements", CommandType::reinstate},
      {"/api/v1/certificates/{id}/cancellation", CommandType::cancel},
      {"/api/v1/certificates/{id}/revocation", CommandType::revoke},
      {"/api/v1/certificates/{id}/withdrawal", CommandType::withdraw}};
  for (const auto& operation : kOperations) {
    const CommandType type = operation.second;  // (clang 14 cannot capture a structured binding)
    add("POST", operation.first, token, "its authority's approver (reissue: reviewer)",
        [this, type](P req, C c) { return certificate_command(req, *c.who, c.params[0], type); });
  }
}

Result<TokenInfo> Service::authenticate(const Request& req) {
  std::string h = req.header("Authorization");
  if (h.size() < 8 || !(h.compare(0, 7, "Bearer ") == 0 || h.compare(0, 7, "bearer ") == 0))
    return make_error(Errc::unauthenticated, "send Authorization: Bearer <token>");
  CL_ASSIGN(TokenInfo who, tokens_.authenticate(std::string_view(h).substr(7)));
  // An institution's tokens live as long as its qualification: a
  // cancelled, revoked or withdrawn certificate stops them all.
  if (who.role == domain::Role::institution) {
    auto cert = projections::Reader(ledger_.store()).certificate(who.subject);
    if (!cert.ok()) return make_error(Errc::unauthenticated, "this token's institution holds no certificate");
    if (domain::is_terminal(cert->state.status))
      return make_error(Errc::unauthenticated, std::string("this token's institution certificate is ") +
                                                   domain::status_name(cert->state.status) +
                                                   ": its tokens no longer work");
  }
  return who;
}

Response Service::handle(const Request& req) {
  double secs = 0;
  Response r = handlers::answer_guarded([&] { return route(req); }, secs);
  if (r.route.empty()) r.route = "unmatched";
  metrics_.observe(r.route, req.method, r.status, secs);
  return r;
}

Response Service::route(const Request& req) {
  if (auto r = router_.dispatch(req)) return std::move(*r);
  Response r = req.header("Accept").find("text/html") != std::string::npos
                   ? Response::text(404, not_found_page(), "text/html; charset=utf-8")
                   : not_found_json("no such resource: " + req.path());
  r.route = "unmatched";
  return r;
}

Response Service::rendered_document(const std::string& id, uint32_t version, bool masked, const std::string& format) {
  if (!ext_.render_document)
    return problem(501, "not-implemented", "Documents are not available", "no renderer configured");
  auto doc = ext_.render_document(id, version, masked, format);
  if (!doc.ok()) return problem_from(doc.error());
  Response r = Response::text(200, std::move(*doc), format == "ofd" ? "application/ofd" : "application/pdf");
  r.set("Content-Disposition",
        "inline; filename=\"certificate-" + id + "-v" + std::to_string(version) + "." + format + "\"");
  return r;
}

Response Service::health(const Request& req, bool ready) {
  if (!ready) return Response::json(200, {{"status", "up"}});
  auto* seq = ledger_.sequencer();
  const auto stale = stale_reason();
  const bool ok = seq && seq->healthy() && !stale;
  json j = {{"status", ok ? "ready" : "not ready"}};
  // Broker addresses and error texts are for operators: with an admin or
  // auditor token (or on /metrics), not for everyone.
  if (!req.header("Authorization").empty()) {
    auto who = authenticate(req);
    if (!who.ok()) return problem_from(who.error());
    if (who->role != domain::Role::admin && who->role != domain::Role::auditor)
      return problem_from(make_error(Errc::forbidden, "readiness details need the admin or auditor role"));
    j["store"] = "open";
    j["writer"] = seq && seq->healthy() ? "healthy" : "failed";
    j["last_position"] = ledger_.store().last_position();
    if (stale) j["stale"] = *stale;
    if (ext_.ready_details) j["details"] = ext_.ready_details();
  }
  Response r = Response::json(ok ? 200 : 503, j);
  no_store(r);
  return r;
}

std::optional<std::string> Service::stale_reason() const {
  return ext_.stale_reason ? ext_.stale_reason() : std::nullopt;
}

Response Service::not_live(const std::string& why, bool html) const {
  Response r =
      html ? Response::text(503, stale_page(), "text/html; charset=utf-8")
           : problem(503, "status-unconfirmed", "Live status cannot be confirmed",
                     "this server cannot confirm the live status right now: " + why, {}, "暂时无法确认实时状态");
  r.set("Retry-After", "30");
  no_store(r);
  return r;
}

}  // namespace certledger::api
