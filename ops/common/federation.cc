#include "ops/common/federation.h"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "ledger/keyring.h"
#include "ledger/merkle/checkpoint.h"
#include "ops/common/routes.h"

namespace certledger::ops {

std::string federated_data_dir(const std::string& data_dir, const TrustedLog& log) {
  return (std::filesystem::path(data_dir) / "logs" / log.name).string();
}

void FederationRuntime::stop() {
  for (auto& l : logs)
    if (l->kafka) l->kafka->stop();
}

FederationRuntime::~FederationRuntime() {
  stop();
  front.reset();
  witness.reset();
  // Services hold read snapshots of their stores: they go first.
  for (auto& l : logs) l->service.reset();
  logs.clear();
}

Result<std::unique_ptr<FederationRuntime>> open_federation(const Config& config, std::vector<TrustedLog> logs,
                                                           api::TokenStore& tokens) {
  auto rt = std::make_unique<FederationRuntime>();
  std::vector<api::FederationMember> members;
  for (auto& t : logs) {
    auto l = std::make_unique<FederatedLog>(std::move(t));
    OpenOptions oo;
    oo.data_dir = federated_data_dir(config.data_dir, l->log);
    std::filesystem::create_directories(oo.data_dir);
    oo.create = true;
    oo.replica = true;
    oo.origin = l->log.origin;
    oo.policy = config.policy;
    const std::string name = l->log.name;
    oo.progress = [name](uint64_t d, uint64_t t) { spdlog::info("{}: projection catch-up {}/{}", name, d, t); };
    auto opened = open_data_dir(oo);
    if (!opened.ok())
      return make_error(opened.error().code, opened.error().detail, oo.data_dir + ": " + opened.error().message);
    l->opened = std::move(*opened);
    Ledger& ledger = *l->opened.ledger;
    add_ledger_metrics(l->metrics, ledger);
    Config member = config;
    member.data_dir = oo.data_dir;
    CL_ASSIGN(l->kafka, start_kafka(ledger, member, {}, &l->log));
    l->kafka->add_metrics(l->metrics);
    api::Extensions ext;
    ext.ready_details = [k = l->kafka.get()] { return k->status(); };
    ext.stale_reason = [k = l->kafka.get()] { return k->stale_reason(); };
    if (l->log.quorum()) ext.quorum = *l->log.quorum();
    l->service = std::make_unique<api::Service>(ledger, config.service, tokens, l->metrics, std::move(ext));
    spdlog::info("following {} as /logs/{}/ ({} events), data in {}", l->log.origin, l->log.name,
                 ledger.store().last_position(), oo.data_dir);
    members.push_back({l->log.name, l->log.origin, merkle::note_verifier_key(l->log.origin, l->log.key),
                       l->service.get(), &l->metrics});
    rt->logs.push_back(std::move(l));
  }
  std::vector<api::RouteSpec> routes;
  if (!config.witness_name.empty()) {
    store::StoreOptions so;
    so.path = (std::filesystem::path(config.data_dir) / "witness").string();
    CL_ASSIGN(rt->witness_store, store::EventStore::open(so));
    const char* pass = std::getenv("CERTLEDGER_KEY_PASSPHRASE");
    KeyRing keys((std::filesystem::path(config.data_dir) / "keys").string(), pass ? pass : "");
    CL_ASSIGN(auto key, keys.read_or_create("witness/cosigner", crypto::KeyAlg::ed25519));
    std::vector<WitnessedLog> witnessed;
    for (const auto& l : rt->logs) witnessed.push_back(replica_witnessed_log(l->log, l->opened.ledger->store()));
    rt->witness =
        std::make_unique<Witness>(*rt->witness_store, config.witness_name,
                                  std::make_shared<const crypto::PrivateKey>(std::move(key)), std::move(witnessed));
    rt->witness->on_fork = [](const std::string& what) { spdlog::critical("witness: {}", what); };
    routes.push_back(witness_route(*rt->witness));
    add_witness_metrics(rt->shared, *rt->witness);
    spdlog::info("witness {} of the {} logs followed (POST /add-checkpoint), verifier key {}", rt->witness->name(),
                 rt->logs.size(), rt->witness->verifier_key());
  }
  rt->front = std::make_unique<api::Federation>(std::move(members), std::move(routes), &rt->shared);
  return rt;
}

}  // namespace certledger::ops
