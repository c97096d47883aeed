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
  for (auto& t : trusted)
    logs.push_back(config.replica && t.origin == ledger.origin() ? replica_witnessed_log(t, ledger.store())
                                                                 : WitnessedLog{t.origin, t.key, {}, {}});
  CL_ASSIGN(auto key, ledger.keys().read_or_create("witness/cosigner", crypto::KeyAlg::ed25519));
  return std::make_unique<Witness>(ledger.store(), config.witness_name,
                                   std::make_shared<const crypto::PrivateKey>(std::move(key)), std::move(logs));
}

WitnessedLog replica_witnessed_log(const TrustedLog& t, const store::EventStore& store) {
  WitnessedLog w{t.origin, t.key, {}, {}};
  w.local_root = [&store](uint64_t size) -> std::optional<Hash256> {
    if (size == 0 || size > store.last_position()) return std::nullopt;
    auto root = merkle::subtree_root(0, size, store.node_source());
    return root.ok() ? std::optional<Hash256>(*root) : std::nullopt;
  };
  w.local_checkpoint = [&store](uint64_t size) { return store.checkpoint_at(size); };
  return w;
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

void add_witness_metrics(api::Metrics& m, Witness& w) {
  m.add_writer([&w](std::string& out) {
    api::Metrics::gauge(out, "certledger_witness_split_views_total",
                        "Checkpoints of the size the witness holds with another root (a proven fork)",
                        static_cast<double>(w.split_views()), "counter");
    api::Metrics::gauge(out, "certledger_witness_inconsistent_total",
                        "Checkpoints refused because their consistency proof did not verify",
                        static_cast<double>(w.inconsistent()), "counter");
  });
}

void add_ledger_metrics(api::Metrics& m, Ledger& ledger) {
  m.add_writer([&ledger](std::string& out) {
    api::Metrics::gauge(out, "certledger_log_last_position", "Last durable log position.",
                        static_cast<double>(ledger.store().last_position()));
    if (auto* s = ledger.sequencer()) {
      auto st = s->stats();
      api::Metrics::gauge(out, "certledger_appends_total", "Events appended by this process.",
                          static_cast<double>(st.appended), "counter");
      api::Metrics::gauge(out, "certledger_sequencer_batches_total", "Group commits (one fsync each).",
                          static_cast<double>(st.batches), "counter");
      api::Metrics::gauge(out, "certledger_sequencer_rejected_total", "Appends refused by the writer.",
                          static_cast<double>(st.rejected), "counter");
      api::Metrics::gauge(out, "certledger_sequencer_largest_batch", "Largest group commit so far.",
                          static_cast<double>(st.largest_batch));
      api::Metrics::gauge(out, "certledger_checkpoints_total", "Checkpoints signed by this process.",
                          static_cast<double>(st.checkpoints), "counter");
      api::Metrics::gauge(out, "certledger_writer_healthy", "1 if the writer accepts appends.", st.healthy ? 1 : 0);
    }
    const store::StoreStats db = ledger.store().stats();
    api::Metrics::gauge(out, "certledger_rocksdb_live_data_bytes", "RocksDB estimated live data size.",
                        static_cast<double>(db.live_data_bytes));
    api::Metrics::gauge(out, "certledger_rocksdb_memtable_bytes", "RocksDB memtable size.",
                        static_cast<double>(db.memtable_bytes));
    api::Metrics::gauge(out, "certledger_rocksdb_running_compactions", "RocksDB compactions running.",
                        static_cast<double>(db.running_compactions));
  });
}

}  // namespace certledger::ops
