#include "ops/common/routes.h"

#include "ops/common/backup.h"

namespace certledger::ops {

api::Route backup_route(Ledger& ledger, const api::Config& config) {
  return [&ledger, &config](api::Service& service, const api::Request& req) -> std::optional<api::Response> {
    if (req.path() != "/api/v1/admin/backup") return std::nullopt;
    api::Response r;
    if (req.method != "POST") {
      r = api::problem(405, "method-not-allowed", "Method not allowed", "use POST");
      r.set("Allow", "POST");
    } else if (auto who = service.authenticate(req); !who.ok()) {
      r = api::problem_from(who.error());
    } else if (who->role != domain::Role::admin || !who->log_wide) {
      r = api::problem_from(
          make_error(Errc::forbidden, "backups need a log-wide admin token (ledgerctl token create --log-wide)"));
    } else if (config.backup_root.empty()) {
      r = api::problem_from(make_error(Errc::forbidden, "backups over HTTP are off: set backup_root in the configuration"));
    } else if (auto body = api::parse_body(req, {"to"}); !body.ok()) {
      r = api::problem(400, "bad-request", "Malformed request", body.error().message, body.error().field);
    } else if (!body->contains("to") || !(*body)["to"].is_string()) {
      r = api::problem(400, "bad-request", "Malformed request", "send {\"to\": \"NAME\"}", "to");
    } else if (auto out = backup_under(ledger, config.data_dir, config.backup_root, (*body)["to"].get<std::string>());
               !out.ok()) {
      r = api::problem_from(out.error());
    } else {
      r = api::Response::json(200, *out);
    }
    r.route = "/api/v1/admin/backup";
    return r;
  };
}

}  // namespace certledger::ops
