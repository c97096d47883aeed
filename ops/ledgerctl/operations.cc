// ledgerctl backup, restore, import, and the audit variants an outside
// auditor uses: --export FILE (a JSONL export) and --kafka BROKERS (the
// topics alone), both against a trust file.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "ledger/audit.h"
#include "ledger/util/json.h"
#include "projections/state_map.h"
#include "ops/common/backup.h"
#include "ops/common/import.h"
#include "ops/common/kafka_audit.h"
#include "ops/common/setup.h"
#include "ops/ledgerctl/cli.h"
#include "ops/ledgerctl/progress.h"

namespace certledger::ctl {

using nlohmann::json;

namespace {
struct OpArgs {
  std::string data = "./data", to, from, file, authority, operator_id = "import", kind, role = "reviewer";
  std::string trust, kafka, prefix = "certledger", export_file, checkpoints_file;
};
OpArgs& oa() {
  static OpArgs a;
  return a;
}

// The trust file's log: the one of `origin`, or its only one.
Result<ops::TrustedLog> trusted_log(const std::string& file, const std::string& origin) {
  CL_ASSIGN(auto logs, ops::read_trust_file(file));
  if (logs.empty()) return make_error(Errc::invalid_argument, file + " names no log");
  if (origin.empty()) {
    if (logs.size() > 1)
      return make_error(Errc::invalid_argument,
                        file + " names " + std::to_string(logs.size()) + " logs: choose one with --origin");
    return std::move(logs.front());
  }
  for (auto& l : logs)
    if (l.origin == origin) return std::move(l);
  return make_error(Errc::not_found, file + " has no log " + origin);
}

int report_audit(const Context& ctx, const Result<json>& r) {
  if (!r.ok()) {
    if (ctx.json) std::cout << json{{"ok", false}, {"error", r.error().message}}.dump() << "\n";
    else std::cout << "AUDIT FAILED: " << r.error().message << "\n";
    return kCheckFailed;
  }
  if (ctx.json) std::cout << r->dump() << "\n";
  else std::cout << "audit ok: " << r->dump(2) << "\n";
  return kOk;
}

Result<json> audit_export(const std::string& file, const std::string& checkpoints, const ops::TrustedLog& log) {
  Auditor a(log.key);
  a.set_quorum(log.quorum());
  projections::MapAuditor map;
  if (!checkpoints.empty()) {
    std::ifstream cin(checkpoints);
    if (!cin) return make_error(Errc::io_error, "cannot read " + checkpoints);
    std::string line;
    while (std::getline(cin, line)) {
      if (line.empty()) continue;
      auto j = parse_json(line, checkpoints);
      if (!j.ok() || !j->is_object() || !(*j)["tree_size"].is_number_unsigned() || !(*j)["checkpoint"].is_string())
        return make_error(Errc::corruption,
                          checkpoints + ": each line must be {\"tree_size\": N, \"checkpoint\": \"...\"}");
      CL_TRY(a.expect_checkpoint((*j)["tree_size"].get<uint64_t>(), (*j)["checkpoint"].get<std::string>()));
      CL_TRY(map.expect_checkpoint((*j)["tree_size"].get<uint64_t>(), (*j)["checkpoint"].get<std::string>()));
    }
  }
  std::ifstream in(file);
  if (!in) return make_error(Errc::io_error, "cannot read " + file);
  std::string line;
  uint64_t pos = 0;
  BatchedAudit batched(a, [&](const domain::Record& r) { return map.add(r); });
  while (std::getline(in, line)) CL_TRY(batched.add(++pos, line));
  CL_TRY(batched.finish());
  CL_TRY(a.finish());
  const auto& s = a.summary();
  if (auto why = s.quorum_failure(); !why.empty()) return make_error(Errc::unavailable, why);
  json out{
      {"ok", true},     {"events", s.events},       {"certificates", s.certificates}, {"checkpoints", s.checkpoints},
      {"keys", s.keys}, {"root", hash_hex(s.root)}, {"map_roots", map.checked()}};
  ops::add_quorum_report(out, s);
  return out;
}

}  // namespace

// The richer audit forms; returns true if it handled the command.
bool run_external_audit(const Context& ctx, const std::string& trust, const std::string& origin,
                        const std::string& kafka, const std::string& prefix, const std::string& export_file,
                        const std::string& cps, int& rc) {
  if (kafka.empty() && export_file.empty()) return false;
  if (trust.empty()) {
    rc =
        fail(ctx, make_error(Errc::invalid_argument, "--kafka and --export need --trust FILE (the published log key)"));
    return true;
  }
  auto t = trusted_log(trust, origin);
  if (!t.ok()) {
    rc = fail(ctx, t.error());
    return true;
  }
  if (!export_file.empty()) {
    rc = report_audit(ctx, audit_export(export_file, cps, *t));
  } else {
    stream::KafkaConfig k;
    k.bootstrap = kafka;
    k.prefix = prefix;
    rc = report_audit(ctx, ops::audit_kafka(k, t->origin, t->key, t->quorum()));
  }
  return true;
}

void add_operations_commands(CLI::App& app, Context& ctx, Action& action) {
  auto& a = oa();
  auto* backup = app.add_subcommand("backup",
                                    "Back up a data dir (store, keys, tokens); ledgerd must be stopped, "
                                    "or use POST /api/v1/admin/backup while it runs");
  backup->add_option("--data", a.data, "Data directory")->capture_default_str();
  backup->add_option("--to", a.to, "Backup directory (incremental: reuse it)")->required();
  backup->callback([&] {
    action = [&] {
      ops::OpenOptions o;
      o.data_dir = a.data;
      auto l = ops::open_data_dir(o);
      if (!l.ok()) {
        if (l.error().detail == Detail::locked)
          return fail(ctx, make_error(Errc::unavailable,
                                      "the data dir is in use (ledgerd runs?): back up online with "
                                      "curl -X POST -H 'Authorization: Bearer <admin token>' "
                                      "-d '{\"to\":\"" +
                                          a.to + "\"}' http://<ledgerd>/api/v1/admin/backup"));
        return fail(ctx, l.error());
      }
      auto r = ops::backup_data_dir(*l->ledger, a.data, a.to);
      if (!r.ok()) return fail(ctx, r.error());
      std::cout << (ctx.json ? r->dump() : "backup ok: " + r->dump(2)) << "\n";
      return static_cast<int>(kOk);
    };
  });

  auto* restore = app.add_subcommand("restore", "Restore a backup into an empty data dir, then audit it");
  restore->add_option("--from", a.from, "Backup directory")->required();
  restore->add_option("--data", a.data, "New (empty) data directory")->required();
  restore->callback([&] {
    action = [&] {
      auto r = ops::restore_data_dir(a.from, a.data);
      if (!r.ok()) return fail(ctx, r.error());
      json j = {{"ok", true},
                {"data", a.data},
                {"events", r->events},
                {"certificates", r->certificates},
                {"checkpoints", r->checkpoints},
                {"root", hash_hex(r->root)}};
      std::cout << (ctx.json ? j.dump() : "restored and audited: " + j.dump(2)) << "\n";
      return static_cast<int>(kOk);
    };
  });

  auto* imp = app.add_subcommand("import",
                                 "Convert paper certificates still in force (换发) from CSV or JSONL; "
                                 "a re-run appends nothing twice");
  imp->add_option("FILE", a.file, "CSV or JSONL file (see ops/samples/)")->required();
  imp->add_option("--data", a.data, "Data directory")->capture_default_str();
  imp->add_option("--authority", a.authority, "Issuing authority code")->required();
  imp->add_option("--operator", a.operator_id, "Who converts (recorded in the events)")->capture_default_str();
  imp->add_option("--role", a.role, "reviewer or approver")->capture_default_str();
  imp->add_option("--kind", a.kind, "Kind for rows that do not name one");
  imp->callback([&] {
    action = [&] {
      auto role = domain::parse_role(a.role);
      if (!role) return fail(ctx, make_error(Errc::invalid_argument, "bad --role"));
      ops::OpenOptions o;
      o.data_dir = a.data;
      auto l = ops::open_data_dir(o);
      if (!l.ok()) return fail(ctx, l.error());
      ProgressBar bar("import");
      ops::ImportOptions io{a.authority, a.operator_id, *role, a.kind, [&](size_t d, size_t t) { bar.update(d, t); }};
      auto r = ops::import_file(*l->ledger, a.file, io);
      if (!r.ok()) return fail(ctx, r.error());
      if (ctx.json) {
        std::cout << r->to_json().dump() << "\n";
      } else {
        for (const auto& [line, why] : r->errors) std::cout << a.file << ":" << line << ": rejected: " << why << "\n";
        std::cout << r->rows << " rows: " << r->converted << " converted, " << r->skipped
                  << " skipped (already converted), " << r->rejected << " rejected\n";
      }
      return r->rejected ? static_cast<int>(kCheckFailed) : static_cast<int>(kOk);
    };
  });
}

}  // namespace certledger::ctl
