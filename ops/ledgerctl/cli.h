// ledgerctl: offline work on a data dir. Each subcommand registers itself
// with CLI11 and returns an exit code:
//   0 ok, 1 a check failed (invalid value, audit failure), 2 usage, 3 I/O.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "ledger/util/result.h"

namespace certledger::ctl {

enum Exit : int { kOk = 0, kCheckFailed = 1, kUsage = 2, kIo = 3 };

// A subcommand's action, run after parsing. Its return is the exit code.
using Action = std::function<int()>;

struct Context {
  bool json = false;  // --json: machine-readable output
};

void add_check_commands(CLI::App& app, Context& ctx, Action& action);
void add_data_commands(CLI::App& app, Context& ctx, Action& action);
void add_token_commands(CLI::App& app, Context& ctx, Action& action);
void add_operations_commands(CLI::App& app, Context& ctx, Action& action);
bool run_external_audit(const Context& ctx, const std::string& trust, const std::string& origin,
                        const std::string& kafka, const std::string& prefix, const std::string& export_file,
                        const std::string& checkpoints, int& rc);

// Maps an error to an exit code and prints it to stderr (or as JSON).
int fail(const Context& ctx, const Error& e);
int exit_code_for(const Error& e);

}  // namespace certledger::ctl
