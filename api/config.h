// ledgerd configuration: a TOML file (toml++) with command-line flags
// (CLI11) overriding it. `ledgerd --help` lists every option; doc/operations.md
// explains them.
#pragma once

#include <map>
#include <string>

#include "ledger/store/write_policy.h"
#include "ledger/util/result.h"

namespace certledger::api {

struct Config {
  std::string data_dir = "./data";
  std::string listen = "127.0.0.1:8080";
  std::string public_base_url;  // default: http://<listen>
  int io_threads = 2;
  int workers = 64;  // threads that run commands (they wait on fsync)
  size_t max_body_bytes = 4 * 1024 * 1024;
  int header_timeout_ms = 10000;
  int read_timeout_ms = 30000;
  int idle_timeout_ms = 60000;
  int max_connections = 10000;           // open connections in all (more are closed at accept)
  int max_connections_per_client = 256;  // ... and from one client address
  std::string tls_cert, tls_key;
  std::string origin = store::kDefaultOrigin;
  store::WritePolicy policy;  // checkpoint_every and checkpoint_interval_ms are configurable
  double lookup_per_minute = 60;
  double lookup_burst = 20;
  double holder_lookups_per_minute = 120;  // authority holder lookups, per token
  double holder_lookup_burst = 30;
  size_t verify_cache_entries = 100000;  // public verify answers kept rendered (0: none)
  std::string kafka = "embedded";        // embedded | off | host:port,...
  std::string kafka_prefix = "certledger";
  std::map<std::string, std::string> kafka_properties;  // passed to librdkafka
  bool replica = false;
  std::string trust_file;
  std::string replica_group = "certledger-replica";
  // A replica answers public status with 503 (and /readyz not ready) once the
  // newest checkpoint it has caught up with arrived longer ago than this.
  int replica_max_staleness_ms = 60000;
  // The primary republishes its latest checkpoint this often when nothing
  // new was signed, so replicas can tell an idle primary from a lost one.
  int checkpoint_heartbeat_ms = 10000;
  // Where POST /api/v1/admin/backup may write (one new directory per backup
  // under it). Empty: backups over HTTP are off.
  std::string backup_root;
  bool demo = false;  // fill an empty data dir with demo data at start
  std::string log_level = "info";
  bool access_log = true;

  std::string scheme() const { return tls_cert.empty() ? "http" : "https"; }
  std::string base_url() const { return public_base_url.empty() ? scheme() + "://" + listen : public_base_url; }
};

// Parses argv (and the --config file it names). On --help, prints and
// returns an error with code not_found and empty message.
Result<Config> parse_config(int argc, char** argv);
Result<Config> load_config_file(const std::string& path, Config base = {});

}  // namespace certledger::api
