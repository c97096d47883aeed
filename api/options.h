// What api/ takes from ledgerd's configuration (ops/common/config.h holds
// all of it, read from TOML and flags): the HTTP server's limits and the
// service's public base URL, rate limits and verify cache. Each default is
// defined here once.
#pragma once

#include <cstddef>
#include <string>

namespace certledger::api {

struct ServerOptions {
  std::string listen = "127.0.0.1:8080";  // HOST:PORT (port 0: any free port)
  int io_threads = 2;
  int workers = 64;  // threads that run commands (they wait on fsync)
  size_t max_body_bytes = 4 * 1024 * 1024;
  int header_timeout_ms = 10000;
  int read_timeout_ms = 30000;
  int idle_timeout_ms = 60000;
  int max_connections = 10000;           // open connections in all (more are closed at accept)
  int max_connections_per_client = 256;  // ... and from one client address
  std::string tls_cert, tls_key;         // PEM files: serve HTTPS
  bool access_log = true;                // one JSON line per request

  std::string scheme() const { return tls_cert.empty() ? "http" : "https"; }
};

struct ServiceOptions {
  // The base of QR links, document URLs and Location headers. ledgerd sets
  // it from the configuration, or from the address it listens on.
  std::string public_base_url;
  double lookup_per_minute = 60;  // public lookups, per client address
  double lookup_burst = 20;
  double holder_lookups_per_minute = 120;  // authority holder lookups, per token
  double holder_lookup_burst = 30;
  size_t verify_cache_entries = 100000;  // public verify answers kept rendered (0: none)
  // A proof's checkpoint older than this does not confirm the live status:
  // the page says 无法确认实时状态 (the bound the page's verifier applies).
  int proof_max_age_s = 60;
  // Where the log is served as C2SP tlog-tiles: <prefix>/checkpoint,
  // <prefix>/tile/... (doc/tiles.md).
  std::string tiles_prefix = "/tiles";

  const std::string& base_url() const { return public_base_url; }
};

}  // namespace certledger::api
