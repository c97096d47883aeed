// ledgerctl token create|list|revoke: API bearer tokens in <data>/tokens.json.
// Works while ledgerd runs (it rereads the file when it changes).
#include <filesystem>
#include <iostream>

#include "api/tokens.h"
#include "ops/common/setup.h"
#include "ops/ledgerctl/cli.h"

namespace certledger::ctl {

namespace {
struct TokenArgs {
  std::string data = "./data", authority, role = "approver", operator_id, id, institution;
  bool log_wide = false;
};
TokenArgs& targs() {
  static TokenArgs a;
  return a;
}
std::string token_file() { return (std::filesystem::path(targs().data) / "tokens.json").string(); }
}  // namespace

void add_token_commands(CLI::App& app, Context& ctx, Action& action) {
  auto& a = targs();
  auto* token = app.add_subcommand("token", "API bearer tokens (bound to one authority, or log-wide, and one role)");
  token->require_subcommand(1);

  auto* create = token->add_subcommand("create", "Create a token; it is printed once and stored only as a hash");
  create->add_option("--data", a.data, "Data directory")->capture_default_str();
  auto* authority = create->add_option("--authority", a.authority, "Authority code, e.g. GD-ZJT");
  create
      ->add_flag("--log-wide", a.log_wide,
                 "An auditor or admin of the whole log, bound to no authority: reads every authority's records "
                 "on /api/v1/events and may take backups. Grant it to the log's operator and external auditors only")
      ->excludes(authority);
  create->add_option("--role", a.role, "clerk, reviewer, approver, auditor, admin")->capture_default_str();
  create->add_option("--operator", a.operator_id, "The person using it (recorded in events)")->required();
  create->add_option("--institution", a.institution,
                     "With --role institution: the testing institution's certificate id (it registers test reports)");
  create->callback([&] {
    action = [&] {
      auto role = domain::parse_role(a.role);
      if (!role)
        return fail(ctx, make_error(Errc::invalid_argument,
                                    "role must be clerk, reviewer, approver, auditor, admin or institution"));
      if (a.authority.empty() && !a.log_wide)
        return fail(ctx, make_error(Errc::invalid_argument, "name the token's --authority (or make it --log-wide)"));
      ops::OpenOptions o;
      o.data_dir = a.data;
      o.read_only = true;
      auto l = ops::open_data_dir(o);
      if (!l.ok()) return fail(ctx, l.error());
      if (!a.log_wide && !l->ledger->authority(a.authority))
        return fail(ctx, make_error(Errc::not_found, "no authority " + a.authority + " in " + a.data));
      if (!a.institution.empty()) {
        auto cert = l->ledger->load(a.institution);
        if (!cert.ok() || !cert->exists || cert->kind != "testing_institution" || cert->authority != a.authority)
          return fail(ctx, make_error(Errc::not_found,
                                      a.institution + " is not a testing institution's certificate of " + a.authority));
      }
      api::TokenStore store(token_file());
      auto t = store.create(a.authority, *role, a.operator_id, a.institution, a.log_wide);
      if (!t.ok()) return fail(ctx, t.error());
      if (ctx.json)
        std::cout << nlohmann::json{{"token", *t},
                                    {"authority", a.authority},
                                    {"role", a.role},
                                    {"scope", a.log_wide ? "log" : "authority"}}
                         .dump()
                  << "\n";
      else std::cout << *t << "\n";
      return static_cast<int>(kOk);
    };
  });

  auto* list = token->add_subcommand("list", "List tokens (never their secrets)");
  list->add_option("--data", a.data, "Data directory")->capture_default_str();
  list->callback([&] {
    action = [&] {
      api::TokenStore store(token_file());
      auto ts = store.list();
      if (!ts.ok()) return fail(ctx, ts.error());
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& t : *ts) {
        arr.push_back({{"id", t.id},
                       {"authority", t.authority},
                       {"role", domain::role_name(t.role)},
                       {"operator", t.operator_id},
                       {"created", t.created},
                       {"revoked", t.revoked},
                       {"scope", t.log_wide ? "log" : "authority"}});
        if (!ctx.json)
          std::cout << t.id << "\t" << (t.log_wide ? "(log-wide)" : t.authority) << "\t" << domain::role_name(t.role)
                    << "\t" << t.operator_id << "\t" << t.created << (t.revoked.empty() ? "" : "\trevoked " + t.revoked)
                    << "\n";
      }
      if (ctx.json) std::cout << arr.dump() << "\n";
      return static_cast<int>(kOk);
    };
  });

  auto* revoke = token->add_subcommand("revoke", "Revoke a token by id");
  revoke->add_option("--data", a.data, "Data directory")->capture_default_str();
  revoke->add_option("ID", a.id, "Token id (tXXXXXXXX)")->required();
  revoke->callback([&] {
    action = [&] {
      api::TokenStore store(token_file());
      auto st = store.revoke(a.id);
      if (!st.ok()) return fail(ctx, st.error());
      if (!ctx.json) std::cout << "revoked " << a.id << "\n";
      return static_cast<int>(kOk);
    };
  });
}

}  // namespace certledger::ctl
