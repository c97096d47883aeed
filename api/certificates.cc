// Handlers of the authorities' certificate API: commands (issue, convert
// and the lifecycle operations), reads of a certificate, its events and
// documents, and holder lookups. Routed by the table in api/service.cc.
#include <set>

#include "api/handlers.h"
#include "api/service.h"
#include "api/views.h"
#include "ledger/domain/validate.h"
#include "ledger/util/encoding.h"
#include "projections/projections.h"
#include "projections/queries.h"

namespace certledger::api {

using domain::CommandType;
using nlohmann::json;
using namespace handlers;

namespace {

// The token may make some certificate command (reviewer or approver), so a
// body is worth reading; every other role is refused before it is.
Status may_command(const TokenInfo& who) {
  if (who.log_wide || !domain::role_satisfies(who.role, domain::Role::reviewer))
    return make_error(Errc::forbidden,
                      std::string("the ") + domain::role_name(who.role) + " role makes no certificate commands");
  return {};
}

// If-Match (RFC 9110 §13.1.1) is compared strongly: a weak tag never matches.
// "*" asks only that the certificate exists, which every command on one does.
Result<std::optional<uint64_t>> if_match_version(const Request& req) {
  const std::string h = req.header("If-Match");
  if (h.empty() || h == "*") return std::optional<uint64_t>();
  if (h.rfind("W/", 0) == 0)
    return make_error(Errc::precondition_failed, "If-Match compares strongly: a weak entity tag never matches",
                      "If-Match");
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

Result<projections::CertView> Service::for_staff(projections::CertView v) const {
  return projections::opened_view(std::move(v), ledger_.vault());
}

// Built from the view the command's own fold left (a replay reads the
// current one), with the signed record embedded as it was signed.
Response Service::command_outcome(const Outcome& out) {
  const std::string base = config_.base_url();
  json certificate = nullptr;
  Result<projections::CertView> view = make_error(Errc::not_found, "");
  if (const auto* v = projections::folded_view(out.folded)) view = for_staff(*v);
  else if (auto read = projections::Reader(ledger_.store()).certificate(out.state.id); read.ok())
    view = for_staff(std::move(*read));
  if (view.ok()) certificate = authority_view(*view, base);
  json body = {{"certificate", std::move(certificate)},  {"version", out.state.doc_version},
               {"stream_version", out.record.event.seq}, {"qr_url", base + "/v/" + out.state.token},
               {"position", out.record.position},        {"replayed", out.replayed}};
  Response r = Response::json(201, body, "record", out.record.bytes);
  r.set("Location", "/api/v1/certificates/" + out.state.id);
  r.set("ETag", "\"" + std::to_string(out.state.stream_version) + "\"");
  if (out.replayed) r.set("Idempotent-Replayed", "true");
  return r;
}

// The command's approval trail from the body, then Ledger::execute and
// the answer.
Response Service::execute(const TokenInfo& who, domain::CommandInput c, const json& body, const ExecOptions& opts) {
  auto trail = approval_trail(body);
  if (!trail.ok()) return error_response(trail.error());
  c.actor = {who.operator_id, who.role, *trail};
  auto out = ledger_.execute(who.authority, std::move(c), opts);
  if (!out.ok()) return problem_from(out.error());
  return command_outcome(*out);
}

Response Service::create_certificate(const Request& req, const TokenInfo& who) {
  if (auto st = may_command(who); !st.ok()) return problem_from(st.error());
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
  if (auto st = domain::check_role(who.role, c.type); !st.ok()) return problem_from(st.error());
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
      auto ref = ledger_.put_blob(who.authority, *bytes);
      if (!ref.ok()) return problem_from(ref.error());
      *ph = *ref;
    }
  }
  auto decision = string_member(*body, "decision", false);
  if (!decision.ok()) return error_response(decision.error());
  c.decision = *decision;
  return execute(who, std::move(c), *body, *opts);
}

Response Service::certificate_command(const Request& req, const TokenInfo& who, const std::string& id,
                                      CommandType type) {
  if (auto st = domain::check_role(who.role, type); !st.ok()) return problem_from(st.error());
  auto opts = command_options(req);
  if (!opts.ok()) return options_error(opts.error());
  std::set<std::string> allowed = {"reason", "decision", "approval"};
  if (type == CommandType::amend) allowed.insert("changes");
  if (type == CommandType::renew || type == CommandType::review) {
    allowed.insert({"valid_until", "valid_from"});
    allowed.erase("reason");
  }
  if (type == CommandType::suspend) allowed.insert("until");
  auto body = parse_body(req, allowed);
  if (!body.ok()) return error_response(bad_body(body.error()));
  domain::CommandInput c;
  c.type = type;
  c.certificate_id = id;
  for (auto [name, target] :
       {std::pair{"reason", &c.reason}, std::pair{"decision", &c.decision}, std::pair{"valid_until", &c.valid_until},
        std::pair{"valid_from", &c.valid_from}, std::pair{"until", &c.until}}) {
    auto v = string_member(*body, name, false);
    if (!v.ok()) return error_response(v.error());
    *target = *v;
  }
  if (c.type == CommandType::amend) {
    if (!body->contains("changes"))
      return problem_from(
          make_error(Errc::invalid_argument, "changes must be a non-empty object of field -> new value", "changes"));
    if (auto st = domain::check_field_shapes((*body)["changes"], "changes"); !st.ok()) return problem_from(st.error());
    c.changes = std::move((*body)["changes"]);
  }
  return execute(who, std::move(c), *body, *opts);
}

Response Service::get_certificate(const Request& req, const TokenInfo& who, const std::string& id) {
  Sight seen = Sight::none;
  auto current = readable(who, id, seen);
  if (!current.ok())
    return current.error().code == Errc::not_found ? not_found_json(current.error().message)
                                                   : problem_from(current.error());
  Result<projections::CertView> v = *current;
  if (auto at = req.query("at"); at && !at->empty()) {
    if (auto d = parse_date(*at)) v = projections::view_at_date(ledger_, id, *d);
    else if (auto pos = parse_decimal(*at)) v = projections::view_at_position(ledger_, id, *pos);
    else return bad_request("at must be a log position or a date YYYY-MM-DD", "at");
    if (!v.ok()) return problem_from(v.error());
  }
  if (seen == Sight::full) {
    v = for_staff(std::move(*v));
    if (!v.ok()) return problem_from(v.error());
  }
  Response r = Response::json(200, authority_view(*v, config_.base_url(), seen == Sight::masked));
  r.set("ETag", "\"" + std::to_string(v->state.stream_version) + "\"");
  no_store(r);
  return r;
}

Response Service::certificate_events(const TokenInfo& who, const std::string& id) {
  Sight seen = Sight::none;
  auto view = readable(who, id, seen);
  if (!view.ok())
    return view.error().code == Errc::not_found ? not_found_json(view.error().message) : problem_from(view.error());
  // The records hold every field unmasked: only the authority's staff.
  if (seen != Sight::full)
    return problem_from(make_error(Errc::forbidden, "the signed records are for the issuing authority's staff"));
  auto events = ledger_.stream_events(id);
  if (!events.ok()) return problem_from(events.error());
  json arr = json::array();
  for (const auto& e : *events)
    arr.push_back(
        {{"position", e.position}, {"type", e.event.type}, {"seq", e.event.seq}, {"record", json::parse(e.bytes)}});
  Response r = Response::json(200, {{"certificate", id}, {"events", arr}});
  no_store(r);
  return r;
}

Response Service::list_certificates(const Request& req, const TokenInfo& who) {
  if (who.role == domain::Role::institution || who.log_wide)
    return problem_from(make_error(Errc::forbidden, "holder lookups are for the issuing authority's staff"));
  auto holder = req.query("holder");
  if (!holder || holder->empty()) return bad_request("holder (统一社会信用代码 or 身份证号) is required", "holder");
  // Each answer tells whether a number holds a certificate: bounded per token.
  if (int wait = holder_limiter_.take(who.id)) {
    Response r = problem(429, "rate-limited", "Too many holder lookups", "try again in " + std::to_string(wait) + "s",
                         {}, "查询过于频繁，请稍后再试");
    r.set("Retry-After", std::to_string(wait));
    return r;
  }
  std::string kind = req.query("kind").value_or("");
  projections::Reader reader(ledger_.store());
  // A person recorded in format 2 is found through the vault's keyed index
  // (the ID number never reaches the projections); one recorded before it,
  // by the plain index.
  std::vector<std::string> ids = reader.by_holder(*holder, kind, who.authority);
  if (auto* vault = ledger_.vault()) {
    auto ref = vault->find(who.authority, *holder);
    if (!ref.ok()) return problem_from(ref.error());
    if (*ref)
      for (auto& id : reader.by_holder(projections::sealed_holder(**ref), kind, who.authority)) ids.push_back(id);
  }
  json items = json::array();
  for (const auto& id : ids) {
    auto v = reader.certificate(id);
    if (v.ok()) v = for_staff(std::move(*v));
    if (v.ok()) items.push_back(authority_view(*v, config_.base_url()));
  }
  Response r = Response::json(200, {{"holder", *holder}, {"certificates", items}});
  no_store(r);
  return r;
}

Response Service::certificate_document(const Request& req, const TokenInfo& who, const std::string& id,
                                       const std::string& format) {
  Sight seen = Sight::none;
  auto v = readable(who, id, seen);
  if (!v.ok()) return v.error().code == Errc::not_found ? not_found_json(v.error().message) : problem_from(v.error());
  uint32_t version = v->state.doc_version;
  if (auto q = req.query("version")) {
    auto n = parse_decimal(*q);
    if (!n || *n == 0 || *n > version) return bad_request("no such version", "version");
    version = static_cast<uint32_t>(*n);
  }
  return rendered_document(id, version, seen == Sight::masked, format);
}

Response Service::erase_holder(const Request& req, const TokenInfo& who, const std::string& ref) {
  if (who.role != domain::Role::approver || who.log_wide)
    return problem_from(make_error(Errc::forbidden, "a holder is erased by an approver of the holder's authority"));
  auto parsed = parse_body(req, {"legal_basis", "reason", "in_force_reason"});
  if (!parsed.ok()) return bad_request(parsed.error().message, parsed.error().field);
  json& body = *parsed;
  for (const char* k : {"legal_basis", "reason", "in_force_reason"})
    if (body.contains(k) && !body[k].is_string()) return bad_request(std::string(k) + " must be a string", k);
  ErasureRequest er;
  er.holder = ref;
  er.legal_basis = body.value("legal_basis", "");
  er.reason = body.value("reason", "");
  er.in_force_reason = body.value("in_force_reason", "");
  er.operator_id = who.operator_id;
  auto out =
      ledger_.erase_holder(who.authority, er, [&](const std::string& holder) -> Result<std::vector<std::string>> {
        return projections::Reader(ledger_.store()).by_holder(projections::sealed_holder(holder), "", who.authority);
      });
  if (!out.ok()) return problem_from(out.error());
  const auto& data = out->record.event.data;
  json answer = {{"holder", ref},
                 {"certificates", data.value("certificates", json::array())},
                 {"position", out->record.position},
                 {"erased", true}};
  return Response::json(201, answer, "record", out->record.bytes);
}

}  // namespace certledger::api
