// Public verification: the QR answer (/v/{token}, /api/v1/verify/{token}),
// lookup by number, and the public (masked) documents. Nothing here needs a
// token; a replica that cannot vouch for being current answers 503.
#include "api/handlers.h"
#include "api/service.h"
#include "api/views.h"
#include "ledger/domain/kinds.h"
#include "projections/queries.h"

namespace certledger::api {

using nlohmann::json;
using namespace handlers;

Response Service::verify(const std::string& token, bool html) {
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
  auto render = [&](std::string_view time, uint64_t position) {
    json j = verify_json(*view, target->version, VerifyContext{config_.base_url(), authority_name, position, now});
    j["as_of"] = std::string(time);
    j["document_url"] = config_.base_url() + "/v/" + token + "/document.pdf";
    if (const auto* kind = domain::find_kind(view->state.kind); kind && kind->ofd)
      j["document_ofd_url"] = config_.base_url() + "/v/" + token + "/document.ofd";
    return html ? verify_page(j, token) : j.dump(-1, ' ', false, json::error_handler_t::replace);
  };
  if (auto body = BodyTemplate::render(render, html)) {
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
    Response r = problem(429, "rate-limited", "Too many lookups", "try again in " + std::to_string(wait) + "s", {},
                         "查询过于频繁，请稍后再试");
    r.set("Retry-After", std::to_string(wait));
    return r;
  }
  if (auto stale = stale_reason()) return not_live(*stale, false);
  auto kind = req.query("kind"), number = req.query("number");
  if (!kind || kind->empty()) return bad_request("kind is required", "kind");
  if (!number || number->empty()) return bad_request("number is required", "number");
  if (!domain::find_kind(*kind))
    return problem_from(make_error(Errc::invalid_argument, "unknown kind " + *kind, "kind"));
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

Response Service::public_document(const std::string& token, const std::string& format) {
  if (auto stale = stale_reason()) return not_live(*stale, false);
  auto hit = projections::Reader(ledger_.store()).by_token(token);
  if (!hit.ok()) return not_found_json("unknown token");
  return rendered_document(hit->view.state.id, hit->version, true, format);
}

}  // namespace certledger::api
