// What the data-dir subcommands of ledgerctl share (data.cc, registry.cc):
// their parsed arguments, the --data option, output, and opening the dir.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "ledger/store/write_policy.h"
#include "ops/common/setup.h"
#include "ops/ledgerctl/cli.h"

namespace certledger::ctl {

struct Args {
  std::string data = "./data";
  std::string origin = store::kDefaultOrigin;
  std::string code, name, uscc, region, province, alg = "ed25519", operator_id = "ledgerctl";
  std::string out, format, trust, public_base = "http://127.0.0.1:8080", projection, at, cert;
  std::string kafka, prefix = "certledger", export_file, checkpoints_file, audit_origin;
  std::string holder, legal_basis, reason, in_force_reason;
  uint64_t from = 1, to = 0, seed = 2026, version = 0;
  bool masked = false;
  bool personal = false;
  bool checkpoints = false;
};
Args& args();

void add_data(CLI::App* c);  // --data DIR
// JSON with --json, else the text.
void print(const Context& ctx, const nlohmann::json& j, const std::string& text);
// The data dir (args().data) read-write (catching up projections with a
// progress bar; `create` initialises an empty one) or read-only.
Result<ops::OpenLedger> open_rw(bool create = false);
Result<ops::OpenLedger> open_ro();

void add_registry_commands(CLI::App& app, Context& ctx, Action& action);
void add_proof_commands(CLI::App& app, Context& ctx, Action& action);

}  // namespace certledger::ctl
