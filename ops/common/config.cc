#include "ops/common/config.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <toml++/toml.h>

namespace certledger::ops {

Result<Config> load_config_file(const std::string& path, Config c) {
  toml::table t;
  try {
    t = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return make_error(Errc::invalid_argument,
                      path + ": " + std::string(e.description()) + " at line " + std::to_string(e.source().begin.line));
  }
  // A present option of the wrong type is an error, never silently skipped.
  std::string type_error;
  auto wrong = [&](const char* k, const char* want) {
    if (type_error.empty()) type_error = path + ": option \"" + k + "\" must be " + want;
  };
  auto str = [&](const char* k, std::string& out) {
    if (!t.contains(k)) return;
    if (auto v = t[k].value<std::string>()) out = *v;
    else wrong(k, "a string");
  };
  auto num = [&](const char* k, auto& out) {
    if (!t.contains(k)) return;
    auto v = t[k].value<int64_t>();
    if (v && *v >= 0) out = static_cast<std::remove_reference_t<decltype(out)>>(*v);
    else wrong(k, "a non-negative integer");
  };
  auto flag = [&](const char* k, bool& out) {
    if (!t.contains(k)) return;
    if (auto v = t[k].value<bool>()) out = *v;
    else wrong(k, "true or false");
  };
  // clang-format off
  static const char* known[] = {"data", "listen", "public_base_url", "io_threads", "workers",
                                "max_body_bytes", "header_timeout_ms", "read_timeout_ms",
                                "idle_timeout_ms", "tls_cert", "tls_key", "origin", "checkpoint_every",
                                "checkpoint_interval_ms", "lookup_per_minute", "lookup_burst", "kafka",
                                "kafka_prefix", "kafka_properties", "replica", "trust", "replica_group",
                                "demo", "log_level", "access_log", "verify_cache_entries", "max_connections",
                                "max_connections_per_client", "holder_lookups_per_minute", "holder_lookup_burst",
                                "replica_max_staleness_ms", "checkpoint_heartbeat_ms", "backup_root",
                                "checkpoint_max_interval_ms", "proof_max_age_s", "tiles_prefix",
                                "witness_name", "witness_logs", "witnesses",
                                "personal_data_recipients", "personal_data_name"};
  // clang-format on
  for (auto& [k, v] : t) {
    bool ok = false;
    for (auto n : known) ok = ok || k.str() == n;
    if (!ok) return make_error(Errc::invalid_argument, path + ": unknown option \"" + std::string(k.str()) + "\"");
  }
  str("data", c.data_dir);
  str("listen", c.server.listen);
  str("public_base_url", c.service.public_base_url);
  num("io_threads", c.server.io_threads);
  num("workers", c.server.workers);
  num("max_body_bytes", c.server.max_body_bytes);
  num("header_timeout_ms", c.server.header_timeout_ms);
  num("read_timeout_ms", c.server.read_timeout_ms);
  num("idle_timeout_ms", c.server.idle_timeout_ms);
  num("max_connections", c.server.max_connections);
  num("max_connections_per_client", c.server.max_connections_per_client);
  num("replica_max_staleness_ms", c.replica_max_staleness_ms);
  num("checkpoint_heartbeat_ms", c.checkpoint_heartbeat_ms);
  str("backup_root", c.backup_root);
  str("tls_cert", c.server.tls_cert);
  str("tls_key", c.server.tls_key);
  str("origin", c.origin);
  num("checkpoint_every", c.policy.checkpoint_every);
  num("checkpoint_interval_ms", c.policy.checkpoint_interval_ms);
  num("checkpoint_max_interval_ms", c.policy.checkpoint_max_interval_ms);
  num("proof_max_age_s", c.service.proof_max_age_s);
  str("tiles_prefix", c.service.tiles_prefix);
  str("witness_name", c.witness_name);
  str("witness_logs", c.witness_logs);
  str("witnesses", c.witnesses);
  str("personal_data_recipients", c.personal_data_recipients);
  str("personal_data_name", c.personal_data_name);
  num("verify_cache_entries", c.service.verify_cache_entries);
  for (auto [k, out] : {std::pair{"lookup_per_minute", &c.service.lookup_per_minute},
                        std::pair{"lookup_burst", &c.service.lookup_burst},
                        std::pair{"holder_lookups_per_minute", &c.service.holder_lookups_per_minute},
                        std::pair{"holder_lookup_burst", &c.service.holder_lookup_burst}}) {
    if (!t.contains(k)) continue;
    if (auto v = t[k].value<double>(); v && *v > 0) *out = *v;
    else wrong(k, "a positive number");
  }
  str("kafka", c.kafka);
  str("kafka_prefix", c.kafka_prefix);
  if (t.contains("kafka_properties")) {
    if (auto* props = t["kafka_properties"].as_table()) {
      for (auto& [k, v] : *props) {
        if (auto s = v.value<std::string>()) c.kafka_properties[std::string(k.str())] = *s;
        else wrong("kafka_properties", "a table of strings");
      }
    } else {
      wrong("kafka_properties", "a table");
    }
  }
  flag("replica", c.replica);
  str("trust", c.trust_file);
  str("replica_group", c.replica_group);
  flag("demo", c.demo);
  str("log_level", c.log_level);
  flag("access_log", c.server.access_log);
  if (!type_error.empty()) return make_error(Errc::invalid_argument, type_error);
  return c;
}

Result<Config> parse_config(int argc, char** argv) {
  CLI::App app{
      "ledgerd - the certledger service: signed certificate lifecycle ledger, public "
      "verification, Kafka stream.\nFlags override the TOML file given with --config."};
  std::string config_file;
  app.add_option("--config", config_file, "TOML configuration file");
  // Parse once for --config, then again so flags override the file.
  Config defaults;
  Config c;
  app.allow_extras();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError&) {}
  if (!config_file.empty()) {
    auto f = load_config_file(config_file, defaults);
    if (!f.ok()) return f.error();
    c = *f;
  }
  CLI::App app2{app.get_description()};
  app2.add_option("--config", config_file, "TOML configuration file");
  app2.add_option("--data", c.data_dir, "Data directory (RocksDB store, keys, tokens)")->capture_default_str();
  app2.add_option("--listen", c.server.listen, "HOST:PORT to serve HTTP on")->capture_default_str();
  app2.add_option("--public-base-url", c.service.public_base_url,
                  "Base URL printed in QR codes (default http://LISTEN)");
  app2.add_option("--io-threads", c.server.io_threads, "Network threads")->capture_default_str();
  app2.add_option("--workers", c.server.workers, "Threads that execute commands")->capture_default_str();
  app2.add_option("--max-body-bytes", c.server.max_body_bytes, "Largest request body (413 beyond)")
      ->capture_default_str();
  app2.add_option("--header-timeout-ms", c.server.header_timeout_ms, "Time to receive request headers")
      ->capture_default_str();
  app2.add_option("--read-timeout-ms", c.server.read_timeout_ms, "Time to receive a whole request")
      ->capture_default_str();
  app2.add_option("--idle-timeout-ms", c.server.idle_timeout_ms, "Keep-alive idle time")->capture_default_str();
  app2.add_option("--max-connections", c.server.max_connections, "Open connections in all")->capture_default_str();
  app2.add_option("--max-connections-per-client", c.server.max_connections_per_client,
                  "Open connections from one client address")
      ->capture_default_str();
  app2.add_option("--tls-cert", c.server.tls_cert, "PEM certificate chain: serve HTTPS");
  app2.add_option("--tls-key", c.server.tls_key, "PEM private key for --tls-cert");
  app2.add_option("--origin", c.origin, "Checkpoint origin of a new log")->capture_default_str();
  app2.add_option("--checkpoint-every", c.policy.checkpoint_every, "Checkpoint every N events")->capture_default_str();
  app2.add_option("--checkpoint-interval-ms", c.policy.checkpoint_interval_ms, "...or every T ms")
      ->capture_default_str();
  app2.add_option("--checkpoint-max-interval-ms", c.policy.checkpoint_max_interval_ms,
                  "Sign the latest size again with a new time this often while idle (0: never)")
      ->capture_default_str();
  app2.add_option("--witness-name", c.witness_name,
                  "Run a C2SP tlog-witness under this name (POST /add-checkpoint); needs --witness-logs");
  app2.add_option("--witness-logs", c.witness_logs, "Witness: trust file of the logs to witness");
  app2.add_option("--personal-data-recipients", c.personal_data_recipients,
                  "Primary: JSON file of the consumers entitled to personal data ([{name, x25519, authorities}]); "
                  "their data keys go out on <prefix>.keys");
  app2.add_option("--personal-data-name", c.personal_data_name,
                  "Replica: this consumer's name in the primary's recipients: read <prefix>.keys and hold the keys");
  app2.add_option("--witnesses", c.witnesses,
                  "Primary: JSON file of the witnesses that cosign each checkpoint ({\"witnesses\": [{url, key}]})");
  app2.add_option("--tiles-prefix", c.service.tiles_prefix, "Serve the log as C2SP tlog-tiles under this path")
      ->capture_default_str();
  app2.add_option("--proof-max-age-s", c.service.proof_max_age_s,
                  "Proofs on public pages older than this do not confirm the live status")
      ->capture_default_str();
  app2.add_option("--lookup-per-minute", c.service.lookup_per_minute, "Public lookups per client per minute")
      ->capture_default_str();
  app2.add_option("--lookup-burst", c.service.lookup_burst, "Public lookup burst")->capture_default_str();
  app2.add_option("--holder-lookups-per-minute", c.service.holder_lookups_per_minute,
                  "Holder lookups (?holder=) per token per minute")
      ->capture_default_str();
  app2.add_option("--holder-lookup-burst", c.service.holder_lookup_burst, "Holder lookup burst")->capture_default_str();
  app2.add_option("--verify-cache-entries", c.service.verify_cache_entries,
                  "Public verify answers kept rendered between changes of their certificate (0: none)")
      ->capture_default_str();
  app2.add_option("--kafka", c.kafka, "embedded (in-process mock cluster), off, or BROKERS")->capture_default_str();
  app2.add_option("--kafka-prefix", c.kafka_prefix, "Topic prefix")->capture_default_str();
  app2.add_flag("--replica", c.replica, "Replica mode: follow a primary's Kafka topics");
  app2.add_option("--trust", c.trust_file, "Replica: trust file with the primaries' log keys");
  app2.add_option("--replica-group", c.replica_group, "Replica: Kafka consumer group")->capture_default_str();
  app2.add_option("--replica-max-staleness-ms", c.replica_max_staleness_ms,
                  "Replica: answer 503 for public status once the newest checkpoint caught up with is older")
      ->capture_default_str();
  app2.add_option("--checkpoint-heartbeat-ms", c.checkpoint_heartbeat_ms,
                  "Republish the latest checkpoint this often while idle (replica freshness)")
      ->capture_default_str();
  app2.add_option("--backup-root", c.backup_root,
                  "Directory POST /api/v1/admin/backup writes new backups under (empty: off)");
  app2.add_flag("--demo", c.demo, "Fill an empty data dir with demo data at start");
  app2.add_option("--log-level", c.log_level, "trace, debug, info, warn, error")->capture_default_str();
  app2.add_flag("--access-log,!--no-access-log", c.server.access_log, "One JSON line per request");
  try {
    app2.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    std::cout << app2.help();
    return make_error(Errc::not_found, "");
  } catch (const CLI::ParseError& e) {
    return make_error(Errc::invalid_argument, e.what());
  }
  if (c.server.listen.find(':') == std::string::npos)
    return make_error(Errc::invalid_argument, "--listen must be HOST:PORT");
  if (c.server.tls_cert.empty() != c.server.tls_key.empty())
    return make_error(Errc::invalid_argument, "--tls-cert and --tls-key go together");
  if (c.service.lookup_per_minute <= 0 || c.service.lookup_burst <= 0 || c.service.holder_lookups_per_minute <= 0 ||
      c.service.holder_lookup_burst <= 0)
    return make_error(Errc::invalid_argument, "rate limits must be positive");
  if (c.server.max_connections <= 0 || c.server.max_connections_per_client <= 0)
    return make_error(Errc::invalid_argument, "connection limits must be positive");
  if (c.replica && c.kafka == "off")
    return make_error(Errc::invalid_argument, "--replica follows its primary over Kafka: --kafka off is not possible");
  if (c.replica && c.trust_file.empty()) return make_error(Errc::invalid_argument, "--replica needs --trust FILE");
  return c;
}

}  // namespace certledger::ops
