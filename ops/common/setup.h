// What ledgerd and ledgerctl share: opening a data dir with the standard
// projections wired into the writer (and caught up first), the trust file a
// downstream verifier needs, and the demo data set.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "ledger/merkle/policy.h"
#include "projections/projections.h"

namespace certledger::ops {

struct OpenLedger {
  std::vector<std::unique_ptr<projections::Projection>> projections;
  std::unique_ptr<Ledger> ledger;
  std::vector<projections::Projection*> projection_ptrs() const;
};

struct OpenOptions {
  std::string data_dir;
  bool create = false;
  bool read_only = false;
  bool replica = false;
  std::string origin = store::kDefaultOrigin;
  store::WritePolicy policy;
  projections::Progress progress;  // catch-up progress
};

Result<OpenLedger> open_data_dir(const OpenOptions& o);

// Trust file, JSON:
//   {"logs": [{"origin": "...", "log_key": "<note verifier key>",
//              "witnesses": [{"name": "...", "key": "<cosigner vkey>", "url": "..."}],
//              "quorum": 2 | "all" | "any" | "none"}]}
// (witnesses and quorum optional; or "policy": "<C2SP tlog-policy text>"
// for quorums with groups), or a C2SP tlog-policy file itself, whose every
// log shares its one quorum. doc/witness.md has both. A replica's trust
// file may add per log "name" and "kafka" (TrustedLog).
nlohmann::json trust_document(const Ledger& ledger);
struct TrustedLog {
  std::string origin;
  crypto::PublicKey key;
  // The witnesses and quorum a checkpoint of this log needs; unset (or
  // `quorum none`) when none is configured.
  std::optional<merkle::Policy> policy;
  // Where a replica reads this log (a federation follows each log from its
  // own cluster): "kafka": {"bootstrap": "host:port,...", "prefix": "gd"};
  // empty: the replica's --kafka and --kafka-prefix.
  std::string kafka_bootstrap, kafka_prefix;
  // A short name for URLs (/logs/<name>/...): "name", else made from the
  // origin (letters, digits, '.', '-').
  std::string name;
  // The quorum required, if any: the policy when it needs cosignatures.
  const merkle::Policy* quorum() const { return policy && policy->needs_cosignatures() ? &*policy : nullptr; }
};
Result<std::vector<TrustedLog>> read_trust_file(const std::string& path);
// The same from the file's text; `path` names it in errors.
Result<std::vector<TrustedLog>> parse_trust_document(std::string_view text, const std::string& path);

// Fills a ledger with sample data of every kind through every lifecycle
// operation. Returns one line per certificate version: kind, number,
// version, status and the public verify URL.
struct DemoLine {
  std::string kind, number, status, url, certificate_id;
  uint32_t version;
};
// Test reports the demo registered: their public check URLs (/r/<code>).
struct DemoReport {
  std::string code, url, status;
};
Result<std::vector<DemoReport>> run_demo_reports(Ledger& ledger, const std::string& public_base, uint64_t seed);
Result<std::vector<DemoLine>> run_demo(Ledger& ledger, const std::string& public_base, uint64_t seed);

}  // namespace certledger::ops
