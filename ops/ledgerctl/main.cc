#include <sys/stat.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "ops/ledgerctl/cli.h"
#include "ops/ledgerctl/data_dir.h"

namespace certledger::ctl {

int exit_code_for(const Error& e) {
  switch (e.code) {
    case Errc::io_error:
    case Errc::unavailable: return kIo;
    case Errc::internal: return kIo;
    default: return kCheckFailed;
  }
}

int fail(const Context& ctx, const Error& e) {
  if (ctx.json) {
    nlohmann::json j = {{"ok", false}, {"error", errc_name(e.code)}, {"message", e.message}};
    if (!e.field.empty()) j["field"] = e.field;
    std::cout << j.dump() << "\n";
  } else {
    std::cerr << "ledgerctl: " << e.message << "\n";
  }
  return exit_code_for(e);
}

}  // namespace certledger::ctl

int main(int argc, char** argv) {
  using namespace certledger::ctl;
  // Data dirs, exports and backups hold personal data and private keys.
  ::umask(077);
  CLI::App app{
      "ledgerctl - offline tools for a certledger data dir\n"
      "Exit codes: 0 ok, 1 check failed, 2 usage error, 3 I/O error."};
  app.require_subcommand(1);
  app.fallthrough();  // global flags (--json) may follow the subcommand
  Context ctx;
  app.add_flag("--json", ctx.json, "Machine-readable JSON output");
  Action action;
  add_check_commands(app, ctx, action);
  add_registry_commands(app, ctx, action);
  add_data_commands(app, ctx, action);
  add_proof_commands(app, ctx, action);
  add_token_commands(app, ctx, action);
  add_operations_commands(app, ctx, action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kOk : kUsage;
  }
  return action ? action() : kUsage;
}
