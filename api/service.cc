#include "api/service.h"

#include <chrono>
#include <set>

#include "api/views.h"
#include "ledger/crypto/jws.h"
#include "ledger/domain/validate.h"
#include "ledger/merkle/tree.h"
#include "ledger/store/keys.h"
#include "ledger/util/encoding.h"
#include "ledger/util/json.h"
#include "ledger/util/utf8.h"
#include "projections/queries.h"

namespace certledger::api {

using nlohmann::json;
using domain::CommandType;

namespace {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) parts.push_back(path.substr(i, j - i));
    i = j;
  }
  return parts;
}

Response bad_request(std::string detail, std::string field = {}) {
  return problem(400, "bad-request", "Malformed request", std::move(detail), std::move(field), "请求格式错误");
}


Result<std::string> string_member(const json& j, const char* name, bool required) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) {
    if (required) return make_error(Errc::invalid_argument, std::string(name) + " is required", name);
    return std::string();
  }
  if (!it->is_string()) return make_error(Errc::invalid_argument, std::string(name) + " must be a string", name);
  return it->get<std::string>();
}

Result<std::vector<domain::ApprovalStep>> approval_trail(const json& j) {
  std::vector<domain::ApprovalStep> out;
  auto it = j.find("approval");
  if (it == j.end() || it->is_null()) return out;
  if (!it->is_array()) return make_error(Errc::invalid_argument, "approval must be a list of steps", "approval");
  for (const auto& s : *it) {
    if (!s.is_object() || !s.contains("step") || !s.contains("operator") || !s["step"].is_string() ||
        !s["operator"].is_string() || (s.contains("opinion") && !s["opinion"].is_string()))
      return make_error(Errc::invalid_argument,
                        "each approval step is {\"step\", \"operator\", \"opinion\"?} with strings", "approval");
    out.push_back({s["step"], s["operator"], s.value("opinion", "")});
  }
  return out;
}

Error bad_body(const Error& e) {
  Error out = e;
  if (out.code == Errc::invalid_argument && out.field.empty()) out.field = "body";
  return out;
}

Response error_response(const Error& e) {
  if (e.code == Errc::invalid_argument && (e.field == "body" || e.message.find("JSON") != std::string::npos ||
                                           e.message.find("unknown member") != std::string::npos ||
                                           e.message.find("UTF-8") != std::string::npos))
    return bad_request(e.message, e.field);
  return problem_from(e);
}

std::optional<uint64_t> parse_u64(std::string_view s) { return parse_decimal(s); }

}  // namespace

Result<json> parse_body(const Request& req, const std::set<std::string>& allowed) {
  if (req.body.empty()) return make_error(Errc::invalid_argument, "the request needs a JSON body");
  if (!is_valid_utf8(req.body)) return make_error(Errc::invalid_argument, "the body is not valid UTF-8");
  CL_ASSIGN(json j, parse_json(req.body, "the body"));
  if (!j.is_object()) return make_error(Errc::invalid_argument, "the body must be a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it)
    if (!allowed.count(it.key()))
      return make_error(Errc::invalid_argument, "unknown member \"" + it.key() + "\"", it.key());
  return j;
}

namespace {

Response not_found_json(std::string detail) {
  return problem(404, "not-found", "Not found", std::move(detail), {}, "未找到");
}

void no_store(Response& r) { r.set("Cache-Control", "no-store"); }

}  // namespace

Service::Service(Ledger& ledger, const Config& config, TokenStore& tokens, Metrics& metrics, Extensions ext,
                 Clock clock)
    : ledger_(ledger), config_(config), tokens_(tokens), metrics_(metrics), ext_(std::move(ext)),
      clock_(std::move(clock)), lookup_limiter_(config.lookup_per_minute, config.lookup_burst),
      holder_limiter_(config.holder_lookups_per_minute, config.holder_lookup_burst),
      verify_cache_(std::make_shared<VerifyCache>(config.verify_cache_entries)) {
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
  auto start = std::chrono::steady_clock::now();
  Response r;
  try {
    r = route(req);
  } catch (const std::exception& e) {
    r = problem(500, "internal", "Internal error", e.what());
    r.route = r.route.empty() ? "error" : r.route;
  }
  if (r.route.empty()) r.route = "unmatched";
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  metrics_.observe(r.route, req.method, r.status, secs);
  return r;
}

Response Service::route(const Request& req) {
  const std::string path = req.path();
  const auto p = split_path(path);
  const bool get = req.method == "GET" || req.method == "HEAD";
  const bool post = req.method == "POST";
  auto with = [](Response r, const char* route) {
    r.route = route;
    return r;
  };
  auto method_not_allowed = [&](const char* route, const char* allow) {
    Response r = problem(405, "method-not-allowed", "Method not allowed", req.method + " " + path);
    r.set("Allow", allow);
    r.route = route;
    return r;
  };

  if (p.size() == 2 && p[0] == "v") {
    if (!get) return method_not_allowed("/v/{token}", "GET");
    bool html = req.header("Accept").find("application/json") == std::string::npos;
    return with(verify(req, p[1], html), "/v/{token}");
  }
  if (p.size() == 3 && p[0] == "v" && (p[2] == "document.pdf" || p[2] == "document.ofd")) {
    const char* route = p[2] == "document.pdf" ? "/v/{token}/document.pdf" : "/v/{token}/document.ofd";
    if (!get) return method_not_allowed(route, "GET");
    return with(document(req, "", p[1], p[2].substr(9)), route);
  }
  for (const char* fixed : {"/healthz", "/readyz", "/metrics", "/openapi.json", "/api/v1/keys",
                            "/api/v1/checkpoint", "/api/v1/proofs/inclusion", "/api/v1/proofs/consistency",
                            "/api/v1/events"})
    if (path == fixed && !get) return method_not_allowed(fixed, "GET");
  if (p.size() == 2 && p[0] == "r") {
    if (!get) return method_not_allowed("/r/{code}", "GET");
    bool html = req.header("Accept").find("application/json") == std::string::npos;
    return with(public_report(req, p[1], html), "/r/{code}");
  }
  if (path == "/stats") return with(get ? stats_page(req) : method_not_allowed("/stats", "GET"), "/stats");
  if (p.size() >= 3 && p[0] == "api" && p[1] == "v1" && p[2] == "reports") {
    if (p.size() == 3) return with(post ? create_report(req) : method_not_allowed("/api/v1/reports", "POST"), "/api/v1/reports");
    if (p.size() == 4) return with(get ? get_report(req, p[3]) : method_not_allowed("/api/v1/reports/{code}", "GET"), "/api/v1/reports/{code}");
    if (p.size() == 5 && p[4] == "withdrawal")
      return with(post ? withdraw_report(req, p[3]) : method_not_allowed("/api/v1/reports/{code}/withdrawal", "POST"),
                  "/api/v1/reports/{code}/withdrawal");
    if (p.size() == 5 && p[4] == "check")
      return with(get ? public_report(req, p[3], false) : method_not_allowed("/api/v1/reports/{code}/check", "GET"),
                  "/api/v1/reports/{code}/check");
  }
  if (path == "/api/v1/stats") return with(get ? stats_json(req) : method_not_allowed("/api/v1/stats", "GET"), "/api/v1/stats");
  if (path == "/healthz") return with(health(req, false), "/healthz");
  if (path == "/readyz") return with(health(req, true), "/readyz");
  if (path == "/metrics") {
    Response r = Response::text(200, metrics_.render(), "text/plain; version=0.0.4; charset=utf-8");
    return with(r, "/metrics");
  }
  if (path == "/openapi.json") {
    Response r = Response::text(200, openapi_document(), "application/json");
    return with(r, "/openapi.json");
  }
  if (p.size() >= 2 && p[0] == "api" && p[1] == "v1") {
    const size_t n = p.size();
    if (n == 4 && p[2] == "verify") {
      if (!get) return method_not_allowed("/api/v1/verify/{token}", "GET");
      return with(verify(req, p[3], false), "/api/v1/verify/{token}");
    }
    if (n == 3 && p[2] == "lookup") return with(get ? lookup(req) : method_not_allowed("/api/v1/lookup", "GET"), "/api/v1/lookup");
    if (n == 3 && p[2] == "checkpoint") return with(checkpoint(req), "/api/v1/checkpoint");
    if (n == 4 && p[2] == "proofs" && p[3] == "inclusion") return with(inclusion_proof(req), "/api/v1/proofs/inclusion");
    if (n == 4 && p[2] == "proofs" && p[3] == "consistency") return with(consistency_proof(req), "/api/v1/proofs/consistency");
    if (n == 3 && p[2] == "keys") {
      Response r = Response::json(200, ledger_.jwks());
      r.set("Content-Type", "application/jwk-set+json");
      return with(r, "/api/v1/keys");
    }
    if (n == 3 && p[2] == "events") return with(events_feed(req), "/api/v1/events");
    if (n == 3 && p[2] == "certificates") {
      if (post) return with(create_certificate(req), "/api/v1/certificates");
      if (get) return with(list_certificates(req), "/api/v1/certificates");
      return method_not_allowed("/api/v1/certificates", "GET, POST");
    }
    if (n == 4 && p[2] == "certificates") {
      if (!get) return method_not_allowed("/api/v1/certificates/{id}", "GET");
      return with(get_certificate(req, p[3]), "/api/v1/certificates/{id}");
    }
    if (n == 5 && p[2] == "certificates") {
      if (p[4] == "events") return with(certificate_events(req, p[3]), "/api/v1/certificates/{id}/events");
      if (p[4] == "document.pdf")
        return with(document(req, p[3], std::nullopt, "pdf"), "/api/v1/certificates/{id}/document.pdf");
      if (p[4] == "document.ofd")
        return with(document(req, p[3], std::nullopt, "ofd"), "/api/v1/certificates/{id}/document.ofd");
      if (!post) return method_not_allowed("/api/v1/certificates/{id}/{operation}", "POST");
      return with(certificate_command(req, p[3], p[4]), "/api/v1/certificates/{id}/{operation}");
    }
  }
  for (const auto& ext : ext_.routes)
    if (auto r = ext(*this, req)) return *r;
  Response r = req.header("Accept").find("text/html") != std::string::npos
                   ? Response::text(404, not_found_page(), "text/html; charset=utf-8")
                   : not_found_json("no such resource: " + path);
  r.route = "unmatched";
  return r;
}

// ---------------- authorities ----------------

namespace {

// The token may make some certificate command (reviewer or approver), so a
// body is worth reading; every other role is refused before it is.
Status may_command(const TokenInfo& who) {
  if (who.log_wide || !domain::role_satisfies(who.role, domain::Role::reviewer))
    return make_error(Errc::forbidden, std::string("the ") + domain::role_name(who.role) +
                                           " role makes no certificate commands");
  return {};
}


// If-Match (RFC 9110 §13.1.1) is compared strongly: a weak tag never matches.
// "*" asks only that the certificate exists, which every command on one does.
Result<std::optional<uint64_t>> if_match_version(const Request& req) {
  const std::string h = req.header("If-Match");
  if (h.empty() || h == "*") return std::optional<uint64_t>();
  if (h.rfind("W/", 0) == 0)
    return make_error(Errc::precondition_failed, "If-Match compares strongly: a weak entity tag never matches", "If-Match");
  if (h.size() >= 2 && h.front() == '"' && h.back() == '"')
    if (auto n = parse_decimal(std::string_view(h).substr(1, h.size() - 2))) return std::optional<uint64_t>(*n);
  return make_error(Errc::invalid_argument, "If-Match must be one entity tag, the certificate's version, e.g. \"3\"",
                    "If-Match");
}

}  // namespace

Result<ExecOptions> command_options(const Request& req) {
  ExecOptions o;
  o.idempotency_key = req.header("Idempotency-Key");
  if (o.idempotency_key.size() > ExecOptions::kMaxIdempotencyKey)
    return make_error(Errc::invalid_argument,
                      "Idempotency-Key is longer than " + std::to_string(ExecOptions::kMaxIdempotencyKey) + " bytes",
                      "Idempotency-Key");
  CL_ASSIGN(o.expected_version, if_match_version(req));
  return o;
}

namespace {

Response options_error(const Error& e) {
  return e.code == Errc::invalid_argument ? bad_request(e.message, e.field) : problem_from(e);
}

}  // namespace

Service::Sight Service::sight(const TokenInfo& who, const projections::CertView& v) const {
  if (who.role == domain::Role::institution) return who.subject == v.state.id ? Sight::masked : Sight::none;
  return !who.log_wide && who.authority == v.state.authority ? Sight::full : Sight::none;
}

Result<projections::CertView> Service::readable(const TokenInfo& who, const std::string& id, Sight& sight_out) const {
  auto v = projections::Reader(ledger_.store()).certificate(id);
  if (!v.ok()) return make_error(Errc::not_found, "no certificate " + id);
  sight_out = sight(who, *v);
  if (sight_out == Sight::none)
    return make_error(Errc::forbidden, who.role == domain::Role::institution
                                           ? "an institution's token reads only its own certificate"
                                           : "certificate " + id + " belongs to another authority");
  return v;
}

Response Service::command_outcome(const Outcome& out) {
  const std::string base = config_.base_url();
  auto view = projections::Reader(ledger_.store()).certificate(out.state.id);
  json body = {{"certificate", view.ok() ? authority_view(*view, base) : json(nullptr)},
               {"version", out.state.doc_version},
               {"stream_version", out.seq},
               {"qr_url", base + "/v/" + out.state.token},
               {"position", out.position},
               {"record", json::parse(out.record)},
               {"replayed", out.replayed}};
  Response r = Response::json(201, body);
  r.set("Location", "/api/v1/certificates/" + out.state.id);
  r.set("ETag", "\"" + std::to_string(out.state.stream_version) + "\"");
  if (out.replayed) r.set("Idempotent-Replayed", "true");
  return r;
}

Response Service::create_certificate(const Request& req) {
  auto who = authenticate(req);
  if (!who.ok()) return problem_from(who.error());
  if (auto st = may_command(*who); !st.ok()) return problem_from(st.error());
  auto opts = command_options(req);
  if (!opts.ok()) return options_error(opts.error());
  auto body = parse_body(req, {"kind", "fields", "operation", "decision", "approval"});
  if (!body.ok()) return error_response(bad_body(body.error()));
  domain::CommandInput c;
  auto op = string_member(*body, "operation", false);
  if (!op.ok()) return error_response(op.error());
  if (op->empty() || *op == "issue") c.type = CommandType::issue;
  else if (*op == "convert") c.type = CommandType::convert;
  else return problem_from(make_error(Errc::invalid_argument, "operation must be issue or convert", "operation"));
  if (auto st = domain::check_role(who->role, c.type); !st.ok()) return problem_from(st.error());
  auto kind = string_member(*body, "kind", true);
  if (!kind.ok()) return error_response(kind.error());
  c.kind = *kind;
  if (!body->contains("fields"))
    return problem_from(make_error(Errc::invalid_argument, "fields must be an object", "fields"));
  if (auto st = domain::check_field_shapes((*body)["fields"], "fields"); !st.ok()) return problem_from(st.error());
  c.fields = std::move((*body)["fields"]);
  // A photo may arrive inline as a data URL: checked, stored as this
  // authority's, and referenced by hash.
  if (auto ph = c.fields.find("photo"); ph != c.fields.end() && ph->is_string()) {
    const std::string& s = ph->get_ref<const std::string&>();
    const std::string prefix = "base64,";
    if (s.rfind("data:", 0) == 0 && s.find(prefix) != std::string::npos) {
      auto bytes = base64_decode(std::string_view(s).substr(s.find(prefix) + prefix.size()));
      if (!bytes) return problem_from(make_error(Errc::invalid_argument, "photo data URL is not base64", "photo"));
      auto ref = ledger_.put_blob(who->authority, *bytes);
      if (!ref.ok()) return problem_from(ref.error());
      *ph = *ref;
    }
  }
  auto decision = string_member(*body, "decision", false);
  if (!decision.ok()) return error_response(decision.error());
  c.decision = *decision;
  auto trail = approval_trail(*body);
  if (!trail.ok()) return error_response(trail.error());
  c.actor = {who->operator_id, who->role, *trail};
  auto out = ledger_.execute(who->authority, std::move(c), *opts);
  if (!out.ok()) return problem_from(out.error());
  return command_outcome(*out);
}

Response Service::certificate_command(const Request& req, const std::string& id, const std::string& op) {
  static const std::map<std::string, CommandType> ops = {
      {"amendments", CommandType::amend},        {"reissues", CommandType::reissue},
      {"renewals", CommandType::renew},          {"reviews", CommandType::review},
      {"suspensions", CommandType::suspend},     {"reinstatements", CommandType::reinstate},
      {"cancellation", CommandType::cancel},     {"revocation", CommandType::revoke},
      {"withdrawal", CommandType::withdraw}};
  auto it = ops.find(op);
  if (it == ops.end()) return not_found_json("no operation \"" + op + "\"");
  auto who = authenticate(req);
  if (!who.ok()) return problem_from(who.error());
  if (auto st = domain::check_role(who->role, it->second); !st.ok()) return problem_from(st.error());
  auto opts = command_options(req);
  if (!opts.ok()) return options_error(opts.error());
  std::set<std::string> allowed = {"reason", "decision", "approval"};
  if (it->second == CommandType::amend) allowed.insert("changes");
  if (it->second == CommandType::renew || it->second == CommandType::review) {
    allowed.insert({"valid_until", "valid_from"});
    allowed.erase("reason");
  }
  if (it->second == CommandType::suspend) allowed.insert("until");
  auto body = parse_body(req, allowed);
  if (!body.ok()) return error_response(bad_body(body.error()));
  domain::CommandInput c;
  c.type = it->second;
  c.certificate_id = id;
  for (auto [name, target] : {std::pair{"reason", &c.reason}, std::pair{"decision", &c.decision},
                              std::pair{"valid_until", &c.valid_until}, std::pair{"valid_from", &c.valid_from},
                              std::pair{"until", &c.until}}) {
    auto v = string_member(*body, name, false);
    if (!v.ok()) return error_response(v.error());
    *target = *v;
  }
  if (c.type == CommandType::amend) {
    if (!body->contains("changes"))
      return problem_from(make_error(Errc::invalid_argument, "changes must be a non-empty object of field -> new value", "changes"));
    if (auto st = domain::check_field_shapes((*body)["changes"], "changes"); !st.ok()) return problem_from(st.error());
    c.changes = std::move((*body)["changes"]);
  }
  auto trail = approval_trail(*body);
  if (!trail.ok()) return error_response(trail.error());
  c.actor = {who->operator_id, who->role, *trail};
  auto out = ledger_.execute(who->authority, std::move(c), *opts);
  if (!out.ok()) return problem_from(out.error());
  return command_outcome(*out);
}

Response Service::get_certificate(const Request& req, const std::string& id) {
  auto who = authenticate(req);
  if (!who.ok()) return problem_from(who.error());
  Sight seen = Sight::none;
  auto current = readable(*who, id, seen);
  if (!current.ok()) return current.error().code == Errc::not_found ? not_found_json(current.error().message)
                                                                     : problem_from(current.error());
  Result<projections::CertView> v = *current;
  if (auto at = req.query("at"); at && !at->empty()) {
    if (auto d = parse_date(*at)) v = projections::view_at_date(ledger_, id, *d);
    else if (auto pos = parse_u64(*at)) v = projections::view_at_position(ledger_, id, *pos);
    else return bad_request("at must be a log position or a date YYYY-MM-DD", "at");
    if (!v.ok()) return problem_from(v.error());
  }
  Response r = Response::json(200, authority_view(*v, config_.base_url(), seen == Sight::masked));
  r.set("ETag", "\"" + std::to_string(v->state.stream_version) + "\"");
  no_store(r);
  return r;
}

Response Service::certificate_events(const Request& req, const std::string& id) {
  auto who = authenticate(req);
  if (!who.ok()) return problem_from(who.error());
  Sight seen = Sight::none;
  auto view = readable(*who, id, seen);
  if (!view.ok()) return view.error().code == Errc::not_found ? not_found_json(view.error().message)
                                                               : problem_from(view.error());
  // The records hold every field unmasked: only the authority's staff.
  if (seen != Sight::full)
    return problem_from(make_error(Errc::forbidden, "the signed records are for the issuing authority's staff"));
  auto events = ledger_.stream_events(id);
  if (!events.ok()) return problem_from(events.error());
  json arr = json::array();
  for (const auto& e : *events)
    arr.push_back({{"position", e.position}, {"type", e.event.type}, {"seq", e.event.seq}, {"record", json::parse(e.record)}});
  Response r = Response::json(200, {{"certificate", id}, {"events", arr}});
  no_store(r);
  return r;
}

Response Service::list_certificates(const Request& req) {
  auto who = authenticate(req);
  if (!who.ok()) return problem_from(who.error());
  if (who->role == domain::Role::institution || who->log_wide)
    return problem_from(make_error(Errc::forbidden, "holder lookups are for the issuing authority's staff"));
  auto holder = req.query("holder");
  if (!holder || holder->empty()) return bad_request("holder (统一社会信用代码 or 身份证号) is required", "holder");
  // Each answer tells whether a number holds a certificate: bounded per token.
  if (int wait = holder_limiter_.take(who->id)) {
    Response r = problem(429, "rate-limited", "Too many holder lookups", "try again in " + std::to_string(wait) + "s",
                         {}, "查询过于频繁，请稍后再试");
    r.set("Retry-After", std::to_string(wait));
    return r;
  }
  std::string kind = req.query("kind").value_or("");
  projections::Reader reader(ledger_.store());
  json items = json::array();
  for (const auto& id : reader.by_holder(*holder, kind, who->authority)) {
    auto v = reader.certificate(id);
    if (v.ok()) items.push_back(authority_view(*v, config_.base_url()));
  }
  Response r = Response::json(200, {{"holder", *holder}, {"certificates", items}});
  no_store(r);
  return r;
}

Response Service::events_feed(const Request& req) {
  auto who = authenticate(req);
  if (!who.ok()) return problem_from(who.error());
  if (who->role != domain::Role::auditor && who->role != domain::Role::admin)
    return problem_from(make_error(Errc::forbidden, "the audit feed needs the auditor or admin role"));
  uint64_t after = 0, limit = 100;
  if (auto a = req.query("after")) {
    auto n = parse_u64(*a);
    if (!n) return bad_request("after must be a position", "after");
    after = *n;
  }
  if (auto l = req.query("limit")) {
    auto n = parse_u64(*l);
    if (!n || *n == 0 || *n > 1000) return bad_request("limit must be 1-1000", "limit");
    limit = *n;
  }
  // A log-wide token reads every record. An authority's auditor or admin
  // reads its own authority's records and the log's own (keys, origin);
  // the scan stops after kScanWindow positions so a sparse authority costs
  // a bounded amount per page, and next_after says where to go on.
  constexpr uint64_t kScanWindow = 10000;
  const uint64_t last = ledger_.store().last_position();
  const uint64_t scan_to = who->log_wide ? after + limit : std::min(after + kScanWindow, std::max(last, after));
  json arr = json::array();
  uint64_t next = after;
  Status bad;
  auto st = ledger_.store().scan(after + 1, scan_to, [&](uint64_t pos, std::string_view rec) {
    if (!who->log_wide) {
      auto env = decode_envelope(pos, rec);
      if (!env.ok()) {
        bad = env.error();
        return false;
      }
      const std::string& a = env->event.authority;
      if (a != who->authority && a != kLogAuthority) {
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
  Response r = Response::json(200, {{"events", arr}, {"next_after", next}, {"last_position", last},
                                    {"scope", who->log_wide ? "log" : who->authority}});
  no_store(r);
  return r;
}

// ---------------- public ----------------

namespace {

// Stand-ins rendered where the time of the answer and the log position go,
// so a cached body can take each request's values (see VerifyCache).
constexpr std::string_view kTimeMark = "\x01" "as_of" "\x01", kTimeMarkJson = "\\u0001as_of\\u0001";
constexpr uint64_t kPositionMark = 9007199254740993ull;  // 2^53 + 1

}  // namespace

Response Service::verify(const Request& req, const std::string& token, bool html) {
  (void)req;
  // A replica that cannot vouch for being current says so instead of
  // showing what it last knew as live.
  if (auto stale = stale_reason()) return not_live(*stale, html);
  const UnixMillis now = clock_();
  const int32_t today = static_cast<int32_t>(china_date(now).days_since_epoch());
  auto& store = ledger_.store();
  // Every verify answer, hit or not: live (never stored) and per Accept.
  auto live = [](Response r) {
    no_store(r);
    r.set("Vary", "Accept");
    return r;
  };
  auto answer = [&](std::string body) {
    return live(Response::text(200, std::move(body), html ? "text/html; charset=utf-8" : "application/json"));
  };
  auto cached = verify_cache_->find(token);
  const bool current = cached && cached->day == today &&
                       store.epoch_at(cached->certificate_slot) == cached->certificate_epoch &&
                       store.epoch_at(cached->authority_slot) == cached->authority_epoch;
  if (current && cached->body(html)) {
    verify_cache_->count(true);
    return answer(cached->body(html)->fill(format_rfc3339_ms(now), store.last_position()));
  }
  verify_cache_->count(false);

  projections::Reader reader(store);
  auto target = reader.token_target(token);
  auto entry = std::make_shared<VerifyCache::Entry>();
  const bool cacheable = entry->set_token(token);
  Result<projections::CertView> view = make_error(Errc::not_found, "unknown token");
  if (target.ok()) {
    // Epochs before the view: a commit after this read makes the entry unusable.
    entry->certificate_slot = store::EventStore::epoch_slot(target->certificate);
    entry->certificate_epoch = store.epoch_at(entry->certificate_slot);
    view = reader.certificate(target->certificate);
  }
  if (!view.ok()) {
    // Same work as an uncached hit, so timing does not tell an unknown token
    // from a real one nobody asked for lately. A cached answer is faster: it
    // tells only that a token was asked for recently, to someone who already
    // holds that (128-bit, unguessable) token.
    projections::CertView dummy;
    (void)verify_json(dummy, 1, VerifyContext{config_.base_url(), "", 0, now});
    return live(html ? Response::text(404, not_found_page(), "text/html; charset=utf-8")
                     : problem(404, "unknown-token", "Unknown certificate token", "no certificate has this QR token",
                               {}, "未找到该二维码对应的证书"));
  }
  entry->authority_slot = store::EventStore::epoch_slot(domain::authority_stream(view->state.authority));
  entry->authority_epoch = store.epoch_at(entry->authority_slot);
  entry->day = today;
  auto authority = ledger_.authority(view->state.authority);
  const std::string authority_name = authority ? authority->name : view->state.authority;
  auto render = [&](const std::string& time, uint64_t position) {
    json j = verify_json(*view, target->version, VerifyContext{config_.base_url(), authority_name, position, now});
    j["as_of"] = time;
    j["document_url"] = config_.base_url() + "/v/" + token + "/document.pdf";
    if (const auto* kind = domain::find_kind(view->state.kind); kind && kind->ofd)
      j["document_ofd_url"] = config_.base_url() + "/v/" + token + "/document.ofd";
    return html ? verify_page(j, token) : j.dump(-1, ' ', false, json::error_handler_t::replace);
  };
  if (auto body = BodyTemplate::make(render(std::string(kTimeMark), kPositionMark),
                                     html ? kTimeMark : kTimeMarkJson, std::to_string(kPositionMark))) {
    // Keep the other representation if it was rendered from the same state.
    if (current && cached->certificate_epoch == entry->certificate_epoch &&
        cached->authority_epoch == entry->authority_epoch)
      (html ? entry->json : entry->html) = cached->body(!html);
    (html ? entry->html : entry->json) = std::move(*body);
    const std::string answer_body = entry->body(html)->fill(format_rfc3339_ms(now), store.last_position());
    if (cacheable) verify_cache_->put(std::move(entry));
    return answer(answer_body);
  }
  // A field happens to contain a mark: answered, not cached.
  return answer(render(format_rfc3339_ms(now), store.last_position()));
}

Response Service::lookup(const Request& req) {
  if (int wait = lookup_limiter_.take(req.client)) {
    Response r = problem(429, "rate-limited", "Too many lookups", "try again in " + std::to_string(wait) + "s",
                         {}, "查询过于频繁，请稍后再试");
    r.set("Retry-After", std::to_string(wait));
    return r;
  }
  if (auto stale = stale_reason()) return not_live(*stale, false);
  auto kind = req.query("kind"), number = req.query("number");
  if (!kind || kind->empty()) return bad_request("kind is required", "kind");
  if (!number || number->empty()) return bad_request("number is required", "number");
  if (!domain::find_kind(*kind)) return problem_from(make_error(Errc::invalid_argument, "unknown kind " + *kind, "kind"));
  projections::Reader reader(ledger_.store());
  json items = json::array();
  for (const auto& id : reader.by_number(*kind, *number)) {
    auto v = reader.certificate(id);
    if (!v.ok()) continue;
    auto authority = ledger_.authority(v->state.authority);
    VerifyContext ctx{config_.base_url(), authority ? authority->name : v->state.authority,
                      ledger_.store().last_position(), clock_()};
    items.push_back(verify_json(*v, v->state.doc_version, ctx));
  }
  Response r = Response::json(items.empty() ? 404 : 200, {{"kind", *kind}, {"number", *number}, {"results", items}});
  no_store(r);
  return r;
}

Response Service::checkpoint(const Request& req) {
  auto size = req.query("tree_size");
  std::optional<std::string> note;
  if (size) {
    auto n = parse_u64(*size);
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

Response Service::inclusion_proof(const Request& req) {
  auto pos = parse_u64(req.query("position").value_or("")), size = parse_u64(req.query("tree_size").value_or(""));
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
  return Response::json(200, {{"position", *pos}, {"leaf_index", *pos - 1}, {"tree_size", *size},
                              {"leaf_hash", base64_encode(hash_bytes(merkle::leaf_hash(*rec)))},
                              {"root_hash", root.ok() ? base64_encode(hash_bytes(*root)) : ""},
                              {"proof", hashes}});
}

Response Service::consistency_proof(const Request& req) {
  auto from = parse_u64(req.query("from").value_or("")), to = parse_u64(req.query("to").value_or(""));
  if (!from || !to) return bad_request("from and to are required numbers");
  if (*from > *to || *to > ledger_.store().last_position())
    return problem_from(make_error(Errc::invalid_argument, "need from <= to <= " +
                                                               std::to_string(ledger_.store().last_position())));
  auto proof = merkle::consistency_proof(*from, *to, ledger_.store().node_source());
  if (!proof.ok()) return problem_from(proof.error());
  json hashes = json::array();
  for (const auto& h : *proof) hashes.push_back(base64_encode(hash_bytes(h)));
  return Response::json(200, {{"from", *from}, {"to", *to}, {"proof", hashes}});
}

Response Service::document(const Request& req, const std::string& id, std::optional<std::string> token,
                           const std::string& format) {
  std::string cert = id;
  uint32_t version = 0;
  bool masked = token.has_value();
  if (token) {
    if (auto stale = stale_reason()) return not_live(*stale, false);
    auto hit = projections::Reader(ledger_.store()).by_token(*token);
    if (!hit.ok()) return not_found_json("unknown token");
    cert = hit->view.state.id;
    version = hit->version;
  } else {
    auto who = authenticate(req);
    if (!who.ok()) return problem_from(who.error());
    Sight seen = Sight::none;
    auto v = readable(*who, id, seen);
    if (!v.ok()) return v.error().code == Errc::not_found ? not_found_json(v.error().message) : problem_from(v.error());
    masked = seen == Sight::masked;
    version = v->state.doc_version;
    if (auto q = req.query("version")) {
      auto n = parse_u64(*q);
      if (!n || *n == 0 || *n > version) return bad_request("no such version", "version");
      version = static_cast<uint32_t>(*n);
    }
  }
  if (!ext_.render_document) return problem(501, "not-implemented", "Documents are not available", "no renderer configured");
  auto doc = ext_.render_document(cert, version, masked, format);
  if (!doc.ok()) return problem_from(doc.error());
  Response r = Response::text(200, std::move(*doc), format == "ofd" ? "application/ofd" : "application/pdf");
  r.set("Content-Disposition",
        "inline; filename=\"certificate-" + cert + "-v" + std::to_string(version) + "." + format + "\"");
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
  Response r = html ? Response::text(503, stale_page(), "text/html; charset=utf-8")
                    : problem(503, "status-unconfirmed", "Live status cannot be confirmed",
                              "this server cannot confirm the live status right now: " + why,
                              {}, "暂时无法确认实时状态");
  r.set("Retry-After", "30");
  no_store(r);
  return r;
}

}  // namespace certledger::api
