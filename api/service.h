// The HTTP API as a plain function: handle(Request) -> Response. Thread-safe.
// The route table is Service::add_routes (api/service.cc); api/openapi.json
// documents every route and doc/authorization.md says who may call each.
// Handlers by resource: certificates.cc (authorities' commands and reads),
// public.cc (QR verification, lookup, public documents), log.cc
// (checkpoints, proofs, the audit feed), reports.cc (test reports and
// statistics); service.cc holds the table, authentication and health.
#pragma once

#include <functional>
#include <memory>
#include <set>
#include <string>

#include "api/options.h"
#include "api/http.h"
#include "api/verify_cache.h"
#include "api/metrics.h"
#include "api/router.h"
#include "api/tokens.h"
#include "ledger/ledger.h"
#include "projections/cert_view.h"
#include "projections/proof_bundle.h"

namespace certledger::api {

// Extension points filled by other modules (documents, report codes, Kafka
// status) so api/ does not depend on them.
struct Extensions {
  // Renders a certificate version as "pdf" or "ofd"; empty: not available.
  std::function<Result<std::string>(const std::string& id, uint32_t version, bool masked, const std::string& format)>
      render_document;
  // Rows added to the end of the route table (e.g. the admin backup).
  std::vector<RouteSpec> routes;
  // Readiness details beyond the store (e.g. Kafka relay health).
  std::function<nlohmann::json()> ready_details;
  // Why the public status this server holds cannot be presented as live
  // now (a replica that halted or fell behind); nullopt when it can. Public
  // status answers are then 503 and /readyz is not ready. Called per public
  // request: must be cheap and thread-safe.
  std::function<std::optional<std::string>()> stale_reason;
  // The witness quorum this log's checkpoints must meet (a primary's
  // witnesses file, a replica's trust file), if any: a proof against a
  // checkpoint below it is not handed out (pending, with the reason), and
  // the page's verifier is given the policy to enforce.
  std::optional<merkle::Policy> quorum;
};

class Service : public RequestHandler {
 public:
  Service(Ledger& ledger, const ServiceOptions& options, TokenStore& tokens, Metrics& metrics, Extensions ext = {},
          Clock clock = system_now_ms);
  Response handle(const Request& req) override;
  // For a Federation in front of several: whether this log holds the QR
  // token or report code, and its statistics (projections::Reader).
  bool holds_token(std::string_view token) const;
  bool holds_report(std::string_view code) const;
  nlohmann::json statistics() const;
  // Whether the request may block on the writer (the server runs those on
  // worker threads, everything else inline).
  static bool is_write(const Request& req) { return req.method == "POST"; }
  // Authentication helper for extensions: the token's info or a 401/403.
  Result<TokenInfo> authenticate(const Request& req);

 private:
  void add_routes();
  Response route(const Request& req);
  // certificates.cc
  Response create_certificate(const Request& req, const TokenInfo& who);
  Response certificate_command(const Request& req, const TokenInfo& who, const std::string& id,
                               domain::CommandType type);
  Response get_certificate(const Request& req, const TokenInfo& who, const std::string& id);
  Response certificate_events(const TokenInfo& who, const std::string& id);
  Response list_certificates(const Request& req, const TokenInfo& who);
  Response certificate_document(const Request& req, const TokenInfo& who, const std::string& id,
                                const std::string& format);
  Response execute(const TokenInfo& who, domain::CommandInput c, const nlohmann::json& body, const ExecOptions& opts);
  Response command_outcome(const Outcome& out);
  // public.cc
  Response verify(const std::string& token, bool html);
  // The answer's "proof" member: the bundle against the newest checkpoint,
  // or pending while the certificate has changed after it (live_position:
  // the certificate's last record; 0 for an unknown token).
  std::string proof_member(std::string_view token, const VerifyCache::Entry& entry, uint64_t live_position);
  // The same embedded in a page (replacing kProofMark) with the verifier.
  std::string page_with_proof(std::string page, std::string_view token, const std::string& member);
  Response lookup(const Request& req);
  Response public_document(const std::string& token, const std::string& format);
  // log.cc
  Response events_feed(const Request& req, const TokenInfo& who);
  Response checkpoint(const Request& req);
  Response inclusion_proof(const Request& req);
  Response consistency_proof(const Request& req);
  Response tiles_checkpoint();
  // A hash tile ("<L>/<N>[.p/<W>]") or an entry bundle ("<N>[.p/<W>]").
  Response tile(const std::string& path, bool entries);
  // service.cc
  Response rendered_document(const std::string& id, uint32_t version, bool masked, const std::string& format);
  Response health(const Request& req, bool ready);
  std::optional<std::string> stale_reason() const;
  Response not_live(const std::string& why, bool html) const;
  // What a token may see of a certificate: its authority's staff all of it,
  // the institution that holds it the public copy, anyone else nothing.
  enum class Sight { none, masked, full };
  Sight sight(const TokenInfo& who, const projections::CertView& v) const;
  // The certificate if the token may see it (not_found, forbidden).
  Result<projections::CertView> readable(const TokenInfo& who, const std::string& id, Sight& sight) const;
  // The view as the issuing authority's staff read it: personal data opened.
  Result<projections::CertView> for_staff(projections::CertView v) const;
  Response erase_holder(const Request& req, const TokenInfo& who, const std::string& ref);
  // Test reports and statistics (reports.cc).
  Response create_report(const Request& req, const TokenInfo& who);
  Response withdraw_report(const Request& req, const TokenInfo& who, const std::string& code);
  Response get_report(const TokenInfo& who, const std::string& code);
  Response public_report(const Request& req, const std::string& code, bool html);
  Response stats_json(const Request& req, const TokenInfo& who);
  Response stats_page();

  Ledger& ledger_;
  const ServiceOptions& config_;
  TokenStore& tokens_;
  Metrics& metrics_;
  Extensions ext_;
  Clock clock_;
  RateLimiter lookup_limiter_;
  RateLimiter holder_limiter_;                 // holder lookups, per token
  std::shared_ptr<VerifyCache> verify_cache_;  // shared with the metrics writer
  // Proofs for public answers against the newest checkpoint.
  std::unique_ptr<projections::StatementProver> prover_;
  // What answers add per checkpoint, made once per checkpoint: its note
  // escaped for JSON, and the page's proof data after the token (the log
  // key, the age bound; a checkpoint signed after a key rotation names the
  // new key).
  struct CheckpointText {
    std::shared_ptr<const projections::StatementProver::Published> source;
    std::string note_json, page_tail;
    bool witnessed = true;  // meets ext_.quorum (or there is none)
  };
  std::atomic<std::shared_ptr<const CheckpointText>> checkpoint_text_;
  std::shared_ptr<const CheckpointText> checkpoint_text(
      const std::shared_ptr<const projections::StatementProver::Published>& cp);
  Router router_;
};

// The public statistics page over one log's statistics, or several logs'
// (label, statistics) together.
std::string stats_html(const std::vector<std::pair<std::string, nlohmann::json>>& logs, UnixMillis now);

// A request body that must be a JSON object (UTF-8, nesting capped) with
// only `allowed` members. invalid_argument says what is wrong.
Result<nlohmann::json> parse_body(const Request& req, const std::set<std::string>& allowed);

// A command's Idempotency-Key (at most ExecOptions::kMaxIdempotencyKey
// bytes; invalid_argument) and If-Match (strong comparison: a weak tag is
// precondition_failed; not one entity tag is invalid_argument).
Result<ExecOptions> command_options(const Request& req);

// The OpenAPI 3.1 document (api/openapi.json, compiled in).
const std::string& openapi_document();

}  // namespace certledger::api
