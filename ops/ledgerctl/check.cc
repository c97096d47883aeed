// ledgerctl check uscc|id|elicense VALUE: validate identifiers before a bulk
// import; ledgerctl check ofd FILE: verify an OFD document's seal signature
// and file digests. Prints "valid" and exits 0, or prints why and exits 1.
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "ledger/domain/identifiers.h"
#include "ops/ledgerctl/cli.h"
#include "renderers/ofd.h"

namespace certledger::ctl {

namespace {

int report(const Context& ctx, const std::string& what, const std::string& value, const Status& st,
           const nlohmann::json& extra = {}) {
  if (ctx.json) {
    nlohmann::json j = {{"kind", what}, {"value", value}, {"valid", st.ok()}};
    if (!st.ok()) j["reason"] = st.error().message;
    if (!extra.is_null()) j.update(extra);
    std::cout << j.dump() << "\n";
  } else if (st.ok()) {
    std::cout << "valid\n";
  } else {
    std::cout << "invalid: " << st.error().message << "\n";
  }
  return st.ok() ? kOk : kCheckFailed;
}

}  // namespace

void add_check_commands(CLI::App& app, Context& ctx, Action& action) {
  auto* check = app.add_subcommand("check", "Validate an identifier (exit 0 valid, 1 invalid)");
  check->require_subcommand(1);
  static std::string value;

  auto* uscc = check->add_subcommand("uscc", "统一社会信用代码 (GB 32100-2015, MOD 31 check)");
  uscc->add_option("CODE", value, "18-character code")->required();
  uscc->callback([&] { action = [&] { return report(ctx, "uscc", value, domain::check_uscc(value)); }; });

  auto* id = check->add_subcommand("id", "身份证号 (GB 11643-1999, MOD 11-2 check, real birth date)");
  id->add_option("NUMBER", value, "18-character number")->required();
  id->callback([&] {
    action = [&] {
      return report(ctx, "id_number", value, domain::check_id_number(value, china_date(system_now_ms())));
    };
  });

  auto* el = check->add_subcommand("elicense", "电子证照标识 (GB/T 36904-2018, MOD 37,36 check)");
  el->add_option("IDENTIFIER", value, "e.g. 1.2.156.3005.2.<type>.<issuer>.<serial>.<version>.<check>")->required();
  el->callback([&] {
    action = [&] {
      auto r = domain::parse_elicense(value);
      nlohmann::json extra;
      if (r.ok())
        extra = {{"type_code", r->type_code},
                 {"issuer_code", r->issuer_code},
                 {"serial", r->serial},
                 {"version", r->version}};
      return report(ctx, "elicense", value, r.ok() ? Status() : Status(r.error()), extra);
    };
  });

  auto* ofd = check->add_subcommand("ofd", "An OFD document: SM3 digest of every file, the GB/T 38540 seal signature");
  ofd->add_option("FILE", value, "document.ofd")->required();
  ofd->callback([&] {
    action = [&] {
      std::ifstream in(value, std::ios::binary);
      if (!in) return report(ctx, "ofd", value, make_error(Errc::not_found, "cannot open " + value));
      const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      auto r = render::verify_ofd(bytes);
      nlohmann::json extra;
      if (r.ok()) {
        extra = {{"seal", r->seal.seal_name},
                 {"signer", r->seal.signer_subject},
                 {"signed_at", format_rfc3339_ms(r->seal.time)},
                 {"files", r->files.size()}};
        if (!ctx.json)
          std::cout << "seal " << r->seal.seal_name << ", signed by " << r->seal.signer_subject << " at "
                    << format_rfc3339_ms(r->seal.time) << ", " << r->files.size() << " files\n";
      }
      return report(ctx, "ofd", value, r.ok() ? Status() : Status(r.error()), extra);
    };
  });
}

}  // namespace certledger::ctl
