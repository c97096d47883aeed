#include "ops/common/routes.h"

#include "ops/common/setup.h"

#include "ops/common/backup.h"
#include "ledger/merkle/tree.h"

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

Result<std::unique_ptr<Witness>> open_witness(Ledger& ledger, const Config& config) {
  if (config.witness_name.empty()) return std::unique_ptr<Witness>();
  // A replica witnesses the logs it follows (its trust file) unless told
  // otherwise, and checks each checkpoint against the records it verified.
  const std::string& file = config.witness_logs.empty() && config.replica ? config.trust_file : config.witness_logs;
  if (file.empty())
    return make_error(Errc::invalid_argument, "witness_name needs witness_logs: the trust file of the logs to witness");
  CL_ASSIGN(auto trusted, read_trust_file(file));
  std::vector<WitnessedLog> logs;
  for (auto& t : trusted) {
    WitnessedLog w{t.origin, t.key, {}, {}};
    if (config.replica && t.origin == ledger.origin()) {
      const store::EventStore& store = ledger.store();
      w.local_root = [&store](uint64_t size) -> std::optional<Hash256> {
        if (size == 0 || size > store.last_position()) return std::nullopt;
        auto root = merkle::subtree_root(0, size, store.node_source());
        return root.ok() ? std::optional<Hash256>(*root) : std::nullopt;
      };
      w.local_checkpoint = [&store](uint64_t size) { return store.checkpoint_at(size); };
    }
    logs.push_back(std::move(w));
  }
  CL_ASSIGN(auto key, ledger.keys().read_or_create("witness/cosigner", crypto::KeyAlg::ed25519));
  return std::make_unique<Witness>(ledger.store(), config.witness_name,
                                   std::make_shared<const crypto::PrivateKey>(std::move(key)), std::move(logs));
}

api::RouteSpec witness_route(Witness& witness) {
  auto handler = [&witness](const api::Request& req, const api::Call&) -> api::Response {
    auto a = witness.add_checkpoint(req.body);
    api::Response r = api::Response::text(a.status, std::move(a.body), a.content_type);
    r.set("Cache-Control", "no-store");
    return r;
  };
  return {"POST", "/add-checkpoint", api::Access::open, "anyone (the log's signature)", std::move(handler)};
}

}  // namespace certledger::ops
