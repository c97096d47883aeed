// ledgerd's configuration: a TOML file (toml++) with command-line flags
// (CLI11) overriding it. `ledgerd --help` lists every option;
// doc/operations.md explains them. api/ gets its part (api/options.h).
#pragma once

#include <map>
#include <string>

#include "api/options.h"
#include "ledger/store/write_policy.h"
#include "ledger/util/result.h"

namespace certledger::ops {

struct Config {
  std::string data_dir = "./data";
  api::ServerOptions server;
  api::ServiceOptions service;  // public_base_url empty: http(s)://<listen>
  std::string origin = store::kDefaultOrigin;
  store::WritePolicy policy;       // checkpoint_every and checkpoint_interval_ms are configurable
  std::string kafka = "embedded";  // embedded | off | host:port,...
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
  // Witness mode (C2SP tlog-witness): this server's witness name and the
  // trust file of the logs it witnesses; off while the name is empty.
  std::string witness_name, witness_logs;
  // A primary's witnesses (ops/common/cosigner.h): a JSON file of their URLs
  // and keys; each checkpoint is sent to them and stored with their
  // cosignatures. Empty: none.
  std::string witnesses;
  // Personal data (ops/common/personal.h): a primary's file of consumers
  // entitled to it; an entitled replica's name among them.
  std::string personal_data_recipients, personal_data_name;
  bool demo = false;  // fill an empty data dir with demo data at start
  std::string log_level = "info";

  std::string scheme() const { return server.scheme(); }
  std::string base_url() const {
    return service.public_base_url.empty() ? scheme() + "://" + server.listen : service.public_base_url;
  }
};

// Parses argv (and the --config file it names). On --help, prints and
// returns an error with code not_found and empty message.
Result<Config> parse_config(int argc, char** argv);
Result<Config> load_config_file(const std::string& path, Config base = {});

}  // namespace certledger::ops
