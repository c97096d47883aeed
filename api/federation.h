// One server in front of several followed ledgers (a national replica of
// the provinces' logs): each log keeps its own Service (its store, proofs,
// verify cache, metrics) and the federation routes between them:
//
//   /logs/                       the logs followed (JSON)
//   /logs/<name>/<path>          <path> of that log's own API and pages
//                                (checkpoint, proofs, tiles, events, stats)
//   /v/<token>..., /api/v1/verify/<token>
//                                the log that holds the QR token
//   /r/<code>, /api/v1/reports/<code>/check
//                                the log that holds the report code
//   /api/v1/lookup               every log; the results together
//   /stats                       all logs together, by province and log
//   /metrics                     every log's families, labelled log="<name>"
//   /healthz, /readyz            the server; ready when every log is
//
// plus extra routes (the witness's POST /add-checkpoint). Anything else
// that belongs to one log is 404 with the way to it (/logs/<name>/...).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/http.h"
#include "api/metrics.h"
#include "api/router.h"
#include "api/service.h"

namespace certledger::api {

struct FederationMember {
  std::string name;     // URL name: /logs/<name>/
  std::string origin;   // its checkpoint origin
  std::string log_key;  // its note verifier key
  Service* service = nullptr;
  const Metrics* metrics = nullptr;  // the service's
};

class Federation : public RequestHandler {
 public:
  // shared: families of the server as a whole (its witness), unlabelled.
  Federation(std::vector<FederationMember> members, std::vector<RouteSpec> routes, const Metrics* shared = nullptr,
             Clock clock = system_now_ms);
  Response handle(const Request& req) override;

 private:
  Response route(const Request& req);
  // The member whose log holds the token (or report code); nullptr if none.
  FederationMember* holder_of_token(std::string_view token);
  FederationMember* holder_of_report(std::string_view code);
  Response lookup(const Request& req);
  Response stats_page();
  Response ready(const Request& req);
  Response metrics();
  Response logs();
  std::vector<FederationMember> members_;
  std::vector<RouteSpec> routes_;
  const Metrics* shared_;
  Clock clock_;
  Metrics own_;  // requests the federation answers itself
};

// Prometheus text expositions of several logs as one: each family's HELP
// and TYPE once, its samples from every log with a log="<name>" label.
std::string merge_expositions(const std::vector<std::pair<std::string, std::string>>& by_log);

}  // namespace certledger::api
