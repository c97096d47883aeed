// ledgerd: the certledger service. Opens (or creates) the data dir with the
// projections wired into the writer, optionally fills it with demo data,
// and serves the HTTP API until SIGTERM/SIGINT, then drains, seals a final
// checkpoint and exits 0.
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <fstream>

#include "api/http_client.h"
#include "api/server.h"
#include "api/service.h"
#include "ops/common/kafka_setup.h"
#include "ops/common/setup.h"
#include "projections/projections.h"
#include "ops/common/cosigner.h"
#include "ops/common/federation.h"
#include "ops/common/routes.h"
#include "renderers/document.h"

using namespace certledger;

namespace {

void setup_logging(const ops::Config& c) {
  auto err = spdlog::stderr_logger_mt("ledgerd");
  spdlog::set_default_logger(err);
  spdlog::set_level(spdlog::level::from_str(c.log_level));
  auto access = spdlog::stdout_logger_mt("access");
  access->set_pattern("%v");
  access->flush_on(spdlog::level::info);
}

}  // namespace

// --demo on an empty data dir: sample certificates of every kind through
// every lifecycle operation, and test reports; logs the links to try.
void fill_demo(Ledger& ledger, const std::string& base_url) {
  // Logs of other origins (the provinces of a federation demo) get other
  // certificate numbers.
  uint64_t seed = 2026;
  if (ledger.origin() != store::kDefaultOrigin)
    for (unsigned char ch : ledger.origin()) seed = seed * 131 + ch;
  auto lines = ops::run_demo(ledger, base_url, seed);
  if (!lines.ok()) {
    spdlog::error("demo: {}", lines.error().to_string());
  } else {
    spdlog::info("demo data: {} certificate versions; try these in a browser:", lines->size());
    for (const auto& l : *lines) spdlog::info("  {}  {}  {} v{}  {}", l.status, l.kind, l.number, l.version, l.url);
    if (auto reports = ops::run_demo_reports(ledger, base_url, seed); reports.ok()) {
      spdlog::info("demo test reports (防伪监管标识码), check them in a browser:");
      for (const auto& r : *reports) spdlog::info("  {}  {}  {}", r.status, r.code, r.url);
    } else {
      spdlog::error("demo reports: {}", reports.error().to_string());
    }
    spdlog::info("statistics: {}/stats", base_url);
  }
}

// A replica of several ledgers (ops/common/federation.h): one server in
// front of a replica per followed log.
int run_federation(ops::Config& config, std::vector<ops::TrustedLog> logs) {
  std::filesystem::create_directories(config.data_dir);
  api::TokenStore tokens((std::filesystem::path(config.data_dir) / "tokens.json").string());
  auto fed = ops::open_federation(config, std::move(logs), tokens);
  if (!fed.ok()) {
    spdlog::error("federation: {}", fed.error().to_string());
    return 3;
  }
  auto server = std::make_unique<api::Server>(*(*fed)->front, config.server);
  if (auto st = server->start(); !st.ok()) {
    spdlog::error("{}", st.error().message);
    return 3;
  }
  const std::string host = config.server.listen.substr(0, config.server.listen.rfind(':'));
  const std::string addr = host + ":" + std::to_string(server->port());
  if (config.service.public_base_url.empty()) config.service.public_base_url = config.scheme() + "://" + addr;
  std::ofstream(std::filesystem::path(config.data_dir) / "ledgerd.addr") << addr << "\n";
  spdlog::info("listening on {}://{} (public base {}), {} logs:", config.scheme(), addr, config.base_url(),
               (*fed)->logs.size());
  for (const auto& l : (*fed)->logs)
    spdlog::info("  {}  {}/logs/{}/  checkpoint {}/logs/{}/api/v1/checkpoint", l->log.origin, config.base_url(),
                 l->log.name, config.base_url(), l->log.name);
  spdlog::info("statistics of all: {}/stats", config.base_url());
  server->run();
  spdlog::info("stopped serving");
  (*fed)->stop();
  server.reset();
  fed->reset();
  spdlog::info("bye");
  return 0;
}

int main(int argc, char** argv) {
  auto cfg = ops::parse_config(argc, argv);
  if (!cfg.ok()) {
    if (cfg.error().code == Errc::not_found && cfg.error().message.empty()) return 0;  // --help
    std::fprintf(stderr, "ledgerd: %s\n", cfg.error().message.c_str());
    return 2;
  }
  ops::Config config = *cfg;
  // The data dir holds personal data and private keys: nothing this process
  // creates is readable by others, whatever the umask it was started with.
  ::umask(077);
  setup_logging(config);
  // A replica follows the logs of its trust file: one as itself, several
  // as a federation.
  std::optional<ops::TrustedLog> followed;
  if (config.replica) {
    auto trusted = ops::read_trust_file(config.trust_file);
    if (trusted.ok() && trusted->empty())
      trusted = make_error(Errc::invalid_argument, config.trust_file + " names no log");
    if (!trusted.ok()) {
      spdlog::error("trust: {}", trusted.error().to_string());
      return 2;
    }
    if (trusted->size() > 1) return run_federation(config, std::move(*trusted));
    followed = std::move(trusted->front());
  }

  ops::OpenOptions oo;
  oo.data_dir = config.data_dir;
  oo.create = true;
  oo.replica = config.replica;
  oo.origin = config.origin;
  oo.policy = config.policy;
  oo.progress = [](uint64_t d, uint64_t t) { spdlog::info("projection catch-up {}/{}", d, t); };
  auto opened = ops::open_data_dir(oo);
  if (!opened.ok()) {
    spdlog::error("cannot open {}: {}", config.data_dir, opened.error().to_string());
    return 3;
  }
  Ledger& ledger = *opened->ledger;
  spdlog::info("data dir {}: {} events, origin {}", config.data_dir, ledger.store().last_position(), ledger.origin());

  api::TokenStore tokens((std::filesystem::path(config.data_dir) / "tokens.json").string());
  api::Metrics metrics;
  ops::add_ledger_metrics(metrics, ledger);
  // The witness quorum proofs must meet: a primary's witnesses file, a
  // replica's trust file.
  std::optional<merkle::Policy> quorum;
  if (followed && followed->quorum()) quorum = *followed->quorum();
  // A primary's witnesses cosign each checkpoint it stores.
  std::unique_ptr<ops::Cosigner> cosigner;
  if (!config.witnesses.empty() && !config.replica) {
    auto file = ops::read_witnesses_file(config.witnesses);
    auto policy = file.ok() ? file->policy() : Result<std::optional<merkle::Policy>>(file.error());
    if (!policy.ok()) {
      spdlog::error("witnesses: {}", policy.error().to_string());
      return 2;
    }
    quorum = std::move(*policy);
    spdlog::info("{} witnesses cosign each checkpoint (timeout {} ms), quorum {}", file->witnesses.size(),
                 file->timeout.count(), quorum ? quorum->describe() : "none");
    // One keep-alive connection per witness; a round asks each witness from
    // one thread, and rounds follow one another, so a client has one user.
    auto clients = std::make_shared<std::map<std::string, std::unique_ptr<api::HttpClient>>>();
    for (const auto& w : file->witnesses) (*clients)[w.url + "/add-checkpoint"] = std::make_unique<api::HttpClient>();
    cosigner = std::make_unique<ops::Cosigner>(
        ledger.store(), std::move(*file),
        [clients](const std::string& url, const std::string& body,
                  std::chrono::milliseconds timeout) -> Result<ops::Cosigner::Reply> {
          auto it = clients->find(url);
          CL_ASSIGN(auto r, it != clients->end() ? it->second->post(url, body, "text/plain", timeout)
                                                 : api::http_post(url, body, "text/plain", timeout));
          return ops::Cosigner::Reply{r.status, std::move(r.content_type), std::move(r.body)};
        });
    metrics.add_writer([c = cosigner.get(), clients](std::string& out) {
      const auto s = c->stats();
      uint64_t connections = 0;
      for (const auto& [url, client] : *clients) connections += client->connections();
      api::Metrics::gauge(out, "certledger_cosign_connections_total",
                          "Connections opened to the witnesses (kept alive between rounds)",
                          static_cast<double>(connections), "counter");
      api::Metrics::gauge(out, "certledger_cosigned_checkpoints_total", "Checkpoints stored with witness cosignatures",
                          static_cast<double>(s.cosigned), "counter");
      api::Metrics::gauge(out, "certledger_cosign_refused_total", "Witness answers that were not a cosignature",
                          static_cast<double>(s.refused), "counter");
      api::Metrics::gauge(out, "certledger_cosign_last_seconds", "The last cosigning round, checkpoint to stored",
                          s.last_ms / 1000);
      api::Metrics::gauge(out, "certledger_cosign_last_cosignatures", "Cosignatures the last round collected",
                          static_cast<double>(s.last_cosignatures));
      api::Metrics::gauge(out, "certledger_cosign_rounds_total", "Cosigning rounds run", static_cast<double>(s.rounds),
                          "counter");
      api::Metrics::gauge(out, "certledger_cosign_seconds_total", "Time of all cosigning rounds together",
                          s.total_ms / 1000, "counter");
    });
  }
  // With witnesses, a checkpoint goes to Kafka once its cosigning round is over.
  std::function<bool(uint64_t, const std::string&)> checkpoint_ready;
  if (cosigner)
    checkpoint_ready = [c = cosigner.get()](uint64_t size, const std::string& note) { return c->settled(size, note); };
  auto kafka = ops::start_kafka(ledger, config, std::move(checkpoint_ready), followed ? &*followed : nullptr);
  if (!kafka.ok()) {
    spdlog::error("Kafka: {}", kafka.error().to_string());
    return 3;
  }
  (*kafka)->add_metrics(metrics);
  api::Extensions ext;
  ext.quorum = std::move(quorum);
  ext.ready_details = [k = kafka->get()] { return k->status(); };
  // Documents need the authority's document-signing key: primaries only.
  auto documents = std::make_shared<render::DocumentService>(ledger, config.base_url());
  if (!config.replica)
    ext.render_document = [documents](const std::string& id, uint32_t version, bool masked,
                                      const std::string& format) -> Result<std::string> {
      CL_ASSIGN(auto fmt, render::DocumentService::parse_format(format));
      return documents->render(id, version, masked, fmt);
    };
  ext.stale_reason = [k = kafka->get()] { return k->stale_reason(); };
  ext.routes.push_back(ops::backup_route(ledger, config));
  auto witness = ops::open_witness(ledger, config);
  if (!witness.ok()) {
    spdlog::error("witness: {}", witness.error().to_string());
    return 2;
  }
  if (*witness) {
    Witness& w = **witness;
    w.on_fork = [](const std::string& what) { spdlog::critical("witness: {}", what); };
    ext.routes.push_back(ops::witness_route(w));
    ops::add_witness_metrics(metrics, w);
    spdlog::info("witness {} (POST /add-checkpoint), verifier key {}", w.name(), w.verifier_key());
  }
  // Both go before the ledger (the service holds read snapshots of its store).
  auto service = std::make_unique<api::Service>(ledger, config.service, tokens, metrics, ext);
  auto server_owner = std::make_unique<api::Server>(*service, config.server);
  api::Server& server = *server_owner;
  if (auto st = server.start(); !st.ok()) {
    spdlog::error("{}", st.error().message);
    return 3;
  }
  const std::string host = config.server.listen.substr(0, config.server.listen.rfind(':'));
  const std::string addr = host + ":" + std::to_string(server.port());
  if (config.service.public_base_url.empty()) config.service.public_base_url = config.scheme() + "://" + addr;
  documents->set_base_url(config.base_url());
  {
    std::ofstream f(std::filesystem::path(config.data_dir) / "ledgerd.addr");
    f << addr << "\n";
  }

  if (config.demo && ledger.authorities().empty() && !config.replica) fill_demo(ledger, config.base_url());
  spdlog::info("listening on {}://{} (public base {})", config.scheme(), addr, config.base_url());
  server.run();
  spdlog::info("stopped serving; sealing the log");
  if (auto* seq = ledger.sequencer()) seq->stop();  // final checkpoint
  if (auto* relay = (*kafka)->relay.get()) {
    // Give Kafka a moment to take the tail (it is all durable in RocksDB anyway).
    relay->wait_for(ledger.store().last_position(), std::chrono::seconds(3));
  }
  (*kafka)->stop();
  server_owner.reset();
  service.reset();
  cosigner.reset();
  opened->ledger.reset();
  spdlog::info("bye");
  return 0;
}
