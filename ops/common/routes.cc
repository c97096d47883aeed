#include "ops/common/routes.h"

#include "ops/common/backup.h"

namespace certledger::ops {

api::RouteSpec backup_route(Ledger& ledger, const Config& config) {
  auto handler = [&ledger, &config](const api::Request& req, const api::Call& call) -> api::Response {
    const api::TokenInfo& who = *call.who;
    if (who.role != domain::Role::admin || !who.log_wide)
      return api::problem_from(
          make_error(Errc::forbidden, "backups need a log-wide admin token (ledgerctl token create --log-wide)"));
    if (config.backup_root.empty())
      return api::problem_from(
          make_error(Errc::forbidden, "backups over HTTP are off: set backup_root in the configuration"));
    auto body = api::parse_body(req, {"to"});
    if (!body.ok()) return api::bad_request(body.error().message, body.error().field);
    if (!body->contains("to") || !(*body)["to"].is_string()) return api::bad_request("send {\"to\": \"NAME\"}", "to");
    auto out = backup_under(ledger, config.data_dir, config.backup_root, (*body)["to"].get<std::string>());
    if (!out.ok()) return api::problem_from(out.error());
    return api::Response::json(200, *out);
  };
  return {"POST", "/api/v1/admin/backup", api::Access::token, "log-wide admin", std::move(handler)};
}

}  // namespace certledger::ops
