#include "ops/ledgerctl/data_dir.h"

#include <iostream>

#include "ops/ledgerctl/progress.h"

namespace certledger::ctl {

Args& args() {
  static Args a;
  return a;
}

void add_data(CLI::App* c) { c->add_option("--data", args().data, "Data directory")->capture_default_str(); }

void print(const Context& ctx, const nlohmann::json& j, const std::string& text) {
  if (ctx.json) std::cout << j.dump() << "\n";
  else std::cout << text;
}

Result<ops::OpenLedger> open_rw(bool create) {
  ops::OpenOptions o;
  o.data_dir = args().data;
  o.create = create;
  o.origin = args().origin;
  auto bar = std::make_shared<ProgressBar>("catch-up");
  o.progress = [bar](uint64_t d, uint64_t t) { bar->update(d, t); };
  return ops::open_data_dir(o);
}

Result<ops::OpenLedger> open_ro() {
  ops::OpenOptions o;
  o.data_dir = args().data;
  o.read_only = true;
  return ops::open_data_dir(o);
}

}  // namespace certledger::ctl
