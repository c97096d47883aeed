// Public verification: the QR answer (/v/{token}, /api/v1/verify/{token}),
// lookup by number, and the public (masked) documents. Nothing here needs a
// token; a replica that cannot vouch for being current answers 503.
#include "api/handlers.h"
#include "api/service.h"
#include "api/views.h"
#include "ledger/domain/kinds.h"
#include "ledger/util/encoding.h"
#include "projections/queries.h"

namespace certledger::api {

using nlohmann::json;
using namespace handlers;

namespace {

// A JSON string's content (no quotes), with '<' escaped too so that it can
// stand inside a page's script element as it is.
std::string json_string_content(std::string_view s) {
  std::string q = json(std::string(s)).dump(-1, ' ', false, json::error_handler_t::replace);
  std::string out;
  out.reserve(q.size());
  for (size_t i = 1; i + 1 < q.size(); ++i) {
    if (q[i] == '<') out += "\\u003c";
    else out += q[i];
  }
  return out;
}

// A JSON object with one more member before its closing brace.
void add_member(std::string& object, std::string_view name, std::string_view value) {
  const size_t close = object.rfind('}');
  if (close == std::string::npos) return;
  std::string m = ",\"";
  m += name;
  m += "\":";
  m += value;
  object.insert(close, m);
}

// The page loads its one script from this server (a cached file, not
// inline, so each page stays small); no inline script runs.
const std::string& verify_page_csp() {
  static const std::string csp = std::string(kPageCsp) + "; script-src 'self'";
  return csp;
}

// The script's tag: its URL names its hash (so it can be cached for good)
// and the browser checks it against the hash (subresource integrity).
const std::string& verifier_script_tag() {
  static const std::string tag = [] {
    const Hash256 h = sha256(statement_verifier_script());
    return "<script src=\"" + std::string(kVerifierScriptPath) + "?v=" + hash_hex(h).substr(0, 16) +
           "\" integrity=\"sha256-" + base64_encode(hash_view(h)) + "\"></script>";
  }();
  return tag;
}

}  // namespace

std::shared_ptr<const Service::CheckpointText> Service::checkpoint_text(
    const std::shared_ptr<const projections::StatementProver::Published>& cp) {
  auto text = checkpoint_text_.load();
  if (text && text->source == cp) return text;
  bool witnessed = true;
  if (cp && ext_.quorum && ext_.quorum->needs_cosignatures()) {
    auto verdict = ext_.quorum->check(cp->note);
    witnessed = verdict.ok() && verdict->met;
  }
  const std::string policy =
      ext_.quorum ? ",\"policy\":\"" + json_string_content(ext_.quorum->text()) + "\"" : std::string();
  text = std::make_shared<const CheckpointText>(
      CheckpointText{cp, cp ? json_string_content(cp->note) : std::string(),
                     "\",\"log_key\":\"" + json_string_content(ledger_.log_verifier_key()) + "\"" + policy +
                         ",\"max_age_seconds\":" + std::to_string(config_.proof_max_age_s) + ",\"proof\":",
                     witnessed});
  checkpoint_text_.store(text);
  return text;
}

std::string Service::proof_member(std::string_view token, const VerifyCache::Entry& entry, uint64_t live_position) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto cp = prover_->checkpoint();
    if (!cp) break;
    auto part = entry.proof.load();
    if (!part || part->tree_size != cp->size) {
      auto proof = prover_->prove(token);
      if (!proof.ok()) break;
      part = std::make_shared<const ProofPart>(
          ProofPart{proof->tree_size, proof->statement ? proof->position : 0, json_string_content(proof->body)});
      entry.proof.store(part);
    }
    if (part->tree_size != cp->size) continue;   // the prover moved on meanwhile
    if (part->position != live_position) break;  // changed after the checkpoint
    const auto text = checkpoint_text(cp);
    // The witnesses have not (yet) cosigned the newest checkpoint: a proof
    // against it would be refused by every verifier holding the quorum.
    if (!text->witnessed) return "{\"pending\":true,\"retry_after_ms\":1000,\"reason\":\"witness_quorum\"}";
    std::string m = "{\"format\":\"";
    m += projections::kBundleHeader;
    m += "\",\"tree_size\":" + std::to_string(part->tree_size) + ",\"bundle\":\"";
    m.reserve(m.size() + part->body_json.size() + text->note_json.size() + 2);
    m += part->body_json;
    m += text->note_json;
    m += "\"}";
    return m;
  }
  // No checkpoint covers the certificate's last change yet: the writer's
  // next one does, within a checkpoint interval.
  return "{\"pending\":true,\"retry_after_ms\":1000}";
}

std::string Service::page_with_proof(std::string page, std::string_view token, const std::string& member) {
  const size_t at = page.find(kProofMark);
  if (at == std::string::npos) return page;
  const auto tail = checkpoint_text(prover_->checkpoint());
  static constexpr std::string_view kOpen = "<script type=\"application/json\" id=\"certledger-proof\">{\"token\":\"";
  const std::string tok = json_string_content(token);  // a found token is URL-safe base64: no escapes
  std::string out;
  out.reserve(page.size() + kOpen.size() + tok.size() + tail->page_tail.size() + member.size() + 400);
  out.append(page, 0, at);
  out += kOpen;
  out += tok;
  out += tail->page_tail;
  out += member;
  out += "}</script>";
  out += verifier_script_tag();
  out.append(page, at + kProofMark.size());
  return out;
}

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
  // The filled body with its proof: a member of the JSON answer, or
  // embedded in the page with the script that checks it.
  auto answer = [&](std::string body, const VerifyCache::Entry& e) {
    const std::string member = proof_member(token, e, e.last_position);
    if (!html) {
      add_member(body, "proof", member);
      return live(Response::text(200, std::move(body), "application/json"));
    }
    Response r = Response::text(200, page_with_proof(std::move(body), token, member), "text/html; charset=utf-8");
    r.set("Content-Security-Policy", verify_page_csp());
    return live(std::move(r));
  };
  auto cached = verify_cache_->find(token);
  const bool current = cached && cached->day == today &&
                       store.epoch_at(cached->certificate_slot) == cached->certificate_epoch &&
                       store.epoch_at(cached->authority_slot) == cached->authority_epoch;
  if (current && cached->body(html)) {
    verify_cache_->count(true);
    return answer(cached->body(html)->fill(format_rfc3339_ms(now), store.last_position()), *cached);
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
    if (html) return live(Response::text(404, not_found_page(), "text/html; charset=utf-8"));
    // The proof shows the log does not know the token.
    Response r = problem(404, "unknown-token", "Unknown certificate token", "no certificate has this QR token", {},
                         "未找到该二维码对应的证书");
    add_member(r.body, "proof", proof_member(token, *entry, 0));
    return live(std::move(r));
  }
  entry->authority_slot = store::EventStore::epoch_slot(domain::authority_stream(view->state.authority));
  entry->authority_epoch = store.epoch_at(entry->authority_slot);
  entry->day = today;
  entry->last_position = view->last_position;
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
    // Keep the other representation (and the proof) if made from the same state.
    if (current && cached->certificate_epoch == entry->certificate_epoch &&
        cached->authority_epoch == entry->authority_epoch) {
      (html ? entry->json : entry->html) = cached->body(!html);
      entry->proof.store(cached->proof.load());
    }
    (html ? entry->html : entry->json) = std::move(*body);
    std::string answer_body = entry->body(html)->fill(format_rfc3339_ms(now), store.last_position());
    if (cacheable) verify_cache_->put(entry);
    return answer(std::move(answer_body), *entry);
  }
  // A field happens to contain a mark: answered, not cached.
  return answer(render(format_rfc3339_ms(now), store.last_position()), *entry);
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
    json item = verify_json(*v, v->state.doc_version, ctx);
    // Its proof like a QR answer's (lookups are rate-limited: made per request).
    VerifyCache::Entry scratch;
    item["proof"] = json::parse(proof_member(v->state.token, scratch, v->last_position));
    items.push_back(std::move(item));
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
