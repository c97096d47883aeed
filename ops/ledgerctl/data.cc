// ledgerctl subcommands that read or replay a data dir's log: audit,
// export, demo, show, rebuild, stats, document. The registry's (init,
// authority, key, keygen, keys, trust) are in registry.cc.
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "ledger/audit.h"
#include "ledger/crypto/jws.h"
#include "ledger/domain/identifiers.h"
#include "ledger/store/keys.h"
#include "ops/common/kafka_audit.h"
#include "ops/common/setup.h"
#include "ops/ledgerctl/data_dir.h"
#include "ops/ledgerctl/progress.h"
#include "projections/projections.h"
#include "projections/queries.h"
#include "projections/state_map.h"
#include "renderers/document.h"

namespace certledger::ctl {

using nlohmann::json;

namespace {

int cmd_audit(const Context& ctx) {
  int rc = 0;
  if (run_external_audit(ctx, args().trust, args().audit_origin, args().kafka, args().prefix, args().export_file,
                         args().checkpoints_file, rc))
    return rc;
  auto l = open_ro();
  if (!l.ok()) return fail(ctx, l.error());
  std::optional<crypto::PublicKey> trusted;
  std::optional<ops::TrustedLog> log;
  if (!args().trust.empty()) {
    auto t = ops::read_trust_file(args().trust);
    if (!t.ok()) return fail(ctx, t.error());
    for (auto& entry : *t)
      if (entry.origin == l->ledger->origin()) log = std::move(entry);
    if (!log)
      return fail(ctx, make_error(Errc::corruption, "the trust file has no key for origin " + l->ledger->origin()));
    trusted = log->key;
  }
  ProgressBar bar("audit");
  auto s = audit_store(
      l->ledger->store(), trusted, [&](uint64_t d, uint64_t t) { bar.update(d, t); }, log ? log->quorum() : nullptr);
  if (s.ok())
    if (auto why = s->quorum_failure(); !why.empty()) s = make_error(Errc::unavailable, why);
  if (!s.ok()) {
    if (ctx.json) std::cout << json{{"ok", false}, {"error", s.error().message}}.dump() << "\n";
    else std::cout << "AUDIT FAILED: " << s.error().message << "\n";
    return kCheckFailed;
  }
  ProgressBar map_bar("state map");
  auto roots = projections::audit_state_map(l->ledger->store(), [&](uint64_t d, uint64_t t) { map_bar.update(d, t); });
  if (!roots.ok()) {
    if (ctx.json) std::cout << json{{"ok", false}, {"error", roots.error().message}}.dump() << "\n";
    else std::cout << "AUDIT FAILED: " << roots.error().message << "\n";
    return kCheckFailed;
  }
  json j = {{"ok", true},
            {"map_roots", *roots},
            {"events", s->events},
            {"certificates", s->certificates},
            {"authorities", s->authorities},
            {"keys", s->keys},
            {"checkpoints", s->checkpoints},
            {"root", hash_hex(s->root)},
            {"seconds", s->seconds}};
  ops::add_quorum_report(j, *s);
  char text[512];
  std::snprintf(text, sizeof text,
                "audit ok: %llu events, %llu certificates, %llu authorities, %llu keys, "
                "%llu checkpoints verified in %.2fs, %llu state map roots recomputed\nroot %s\n",
                (unsigned long long)s->events, (unsigned long long)s->certificates, (unsigned long long)s->authorities,
                (unsigned long long)s->keys, (unsigned long long)s->checkpoints, s->seconds, (unsigned long long)*roots,
                hash_hex(s->root).c_str());
  std::string out = text;
  if (!s->quorum.empty())
    out += "witnessed through size " + std::to_string(s->witnessed_size) + " (quorum " + s->quorum + "); " +
           std::to_string(s->below_quorum) + " earlier checkpoints below quorum\n";
  print(ctx, j, out);
  return kOk;
}

int cmd_export(const Context& ctx) {
  auto l = open_ro();
  if (!l.ok()) return fail(ctx, l.error());
  auto& store = l->ledger->store();
  if (args().checkpoints) {
    for (auto& [size, note] : store.checkpoints())
      std::cout << json{{"tree_size", size}, {"checkpoint", note}}.dump() << "\n";
    return kOk;
  }
  uint64_t expect = args().from;
  Status err;
  auto st = store.scan(args().from, args().to, [&](uint64_t pos, std::string_view rec) {
    if (pos != expect) {
      err = make_error(Errc::corruption, "missing event at position " + std::to_string(expect));
      return false;
    }
    ++expect;
    std::cout.write(rec.data(), static_cast<std::streamsize>(rec.size()));
    std::cout.put('\n');
    return true;
  });
  std::cout.flush();
  if (!st.ok()) return fail(ctx, st.error());
  if (!err.ok()) return fail(ctx, err.error());
  return std::cout ? kOk : kIo;
}

int cmd_demo(const Context& ctx) {
  auto l = open_rw(true);
  if (!l.ok()) return fail(ctx, l.error());
  auto lines = ops::run_demo(*l->ledger, args().public_base, args().seed);
  if (!lines.ok()) return fail(ctx, lines.error());
  json out = json::array();
  for (const auto& d : *lines) {
    out.push_back({{"kind", d.kind},
                   {"number", d.number},
                   {"version", d.version},
                   {"status", d.status},
                   {"url", d.url},
                   {"certificate", d.certificate_id}});
    if (!ctx.json)
      std::cout << d.status << "\t" << d.kind << "\t" << d.number << "\tv" << d.version << "\t" << d.url << "\n";
  }
  auto reports = ops::run_demo_reports(*l->ledger, args().public_base, args().seed);
  if (!reports.ok()) return fail(ctx, reports.error());
  for (const auto& r : *reports) {
    if (ctx.json) continue;
    std::cout << r.status << "\ttest_report\t" << r.code << "\t\t" << r.url << "\n";
  }
  if (ctx.json) std::cout << out.dump() << "\n";
  return kOk;
}

json view_json(const projections::CertView& v) {
  json versions = json::array();
  for (const auto& x : v.versions)
    versions.push_back({{"version", x.version},
                        {"cause", x.cause},
                        {"reason", x.reason},
                        {"token", x.token},
                        {"elicense", x.elicense},
                        {"position", x.position},
                        {"time", format_rfc3339_ms(x.time)},
                        {"valid_until", x.valid_until}});
  return {{"id", v.state.id},
          {"kind", v.state.kind},
          {"authority", v.state.authority},
          {"status", domain::status_name(v.state.status)},
          {"status_reason", v.state.status_reason},
          {"doc_version", v.state.doc_version},
          {"stream_version", v.state.stream_version},
          {"fields", v.state.fields},
          {"elicense", v.state.elicense},
          {"versions", versions},
          {"last_position", v.last_position},
          {"last_time", format_rfc3339_ms(v.last_time)},
          {"approval", json::parse(v.actor_json.empty() ? "null" : v.actor_json)}};
}

int cmd_show(const Context& ctx) {
  auto l = open_ro();
  if (!l.ok()) return fail(ctx, l.error());
  Result<projections::CertView> v = make_error(Errc::not_found, "");
  const std::string& at = args().at;
  if (at.empty()) {
    v = projections::Reader(l->ledger->store()).certificate(args().cert);
  } else if (auto d = parse_date(at)) {
    v = projections::view_at_date(*l->ledger, args().cert, *d);
  } else if (at.find_first_not_of("0123456789") == std::string::npos) {
    v = projections::view_at_position(*l->ledger, args().cert, std::stoull(at));
  } else {
    return fail(ctx, make_error(Errc::invalid_argument, "--at takes a log position or a date YYYY-MM-DD"));
  }
  if (!v.ok()) return fail(ctx, v.error());
  // The operator holds the data dir and its vault: --personal opens the
  // sealed personal data, as the authority's staff read it.
  if (args().personal) v = projections::opened_view(std::move(*v), l->ledger->vault());
  if (!v.ok()) return fail(ctx, v.error());
  json j = view_json(*v);
  if (!v->state.holder.empty()) j["holder"] = v->state.holder;
  if (v->state.erased) j["personal_data"] = "erased";
  std::cout << j.dump(ctx.json ? -1 : 2) << "\n";
  return kOk;
}

int cmd_rebuild(const Context& ctx) {
  auto l = open_rw();
  if (!l.ok()) return fail(ctx, l.error());
  l->ledger->sequencer()->stop();
  std::vector<projections::Projection*> chosen;
  for (auto* p : l->projection_ptrs())
    if (args().projection.empty() || p->name() == args().projection) chosen.push_back(p);
  if (chosen.empty())
    return fail(ctx, make_error(Errc::invalid_argument,
                                "no projection named " + args().projection + " (certificates, statistics)"));
  ProgressBar bar("rebuild");
  auto start = std::chrono::steady_clock::now();
  auto st = projections::rebuild(l->ledger->store(), chosen, [&](uint64_t d, uint64_t t) { bar.update(d, t); });
  if (!st.ok()) return fail(ctx, st.error());
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::vector<std::string> names;
  for (auto* p : chosen) names.push_back(p->name());
  const uint64_t n = l->ledger->store().last_position();
  print(ctx, {{"rebuilt", names}, {"events", n}, {"seconds", secs}},
        "rebuilt " + std::to_string(names.size()) + " projection(s) from " + std::to_string(n) + " events in " +
            std::to_string(secs) + "s\n");
  return kOk;
}

int cmd_erase(const Context& ctx) {
  auto l = open_rw();
  if (!l.ok()) return fail(ctx, l.error());
  const auto& a = args();
  ErasureRequest er{a.holder, a.legal_basis, a.reason, a.in_force_reason, a.operator_id};
  auto out = l->ledger->erase_holder(a.code, er, [&](const std::string& holder) -> Result<std::vector<std::string>> {
    return projections::Reader(l->ledger->store()).by_holder(projections::sealed_holder(holder), "", a.code);
  });
  if (!out.ok()) return fail(ctx, out.error());
  const json certs = out->record.event.data.value("certificates", json::array());
  print(ctx, {{"holder", a.holder}, {"certificates", certs}, {"position", out->record.position}, {"erased", true}},
        "erased holder " + a.holder + " of " + a.code + " at position " + std::to_string(out->record.position) + " (" +
            std::to_string(certs.size()) + " certificate(s)); the data key is destroyed\n");
  return kOk;
}

int cmd_stats(const Context& ctx) {
  auto l = open_ro();
  if (!l.ok()) return fail(ctx, l.error());
  json s = projections::Reader(l->ledger->store()).statistics(args().code);
  if (ctx.json) {
    std::cout << s.dump() << "\n";
    return kOk;
  }
  std::cout << "authority\tregion\tkind\tstatus\tcount\n";
  for (auto& r : s["by_status"])
    std::cout << r["authority"].get<std::string>() << "\t" << r["region"].get<std::string>() << "\t"
              << r["kind"].get<std::string>() << "\t" << r["status"].get<std::string>() << "\t" << r["count"] << "\n";
  return kOk;
}

int cmd_document(const Context& ctx) {
  auto l = open_rw();
  if (!l.ok()) return fail(ctx, l.error());
  uint32_t version = static_cast<uint32_t>(args().version);
  if (version == 0) {
    auto v = projections::Reader(l->ledger->store()).certificate(args().cert);
    if (!v.ok()) return fail(ctx, v.error());
    version = v->state.doc_version;
  }
  render::DocumentService docs(*l->ledger, args().public_base);
  std::string format = args().format;
  if (format.empty()) format = args().out.size() > 4 && args().out.ends_with(".ofd") ? "ofd" : "pdf";
  auto fmt = render::DocumentService::parse_format(format);
  if (!fmt.ok()) return fail(ctx, fmt.error());
  auto pdf = docs.render(args().cert, version, args().masked, *fmt);
  if (!pdf.ok()) return fail(ctx, pdf.error());
  std::ofstream out(args().out, std::ios::binary);
  out.write(pdf->data(), static_cast<std::streamsize>(pdf->size()));
  if (!out) return fail(ctx, make_error(Errc::io_error, "cannot write " + args().out));
  print(ctx, {{"file", args().out}, {"bytes", pdf->size()}, {"version", version}},
        "wrote " + args().out + " (" + std::to_string(pdf->size()) + " bytes, version " + std::to_string(version) +
            ")\n");
  return kOk;
}

}  // namespace

void add_data_commands(CLI::App& app, Context& ctx, Action& action) {
  auto& a = args();
  auto* audit = app.add_subcommand("audit", "Replay and verify the whole log (exit 1 naming the first bad position)");
  add_data(audit);
  audit->add_option("--trust", a.trust,
                    "Trust file: the log key must be the one named there; its witness quorum, if any, is enforced");
  audit->add_option("--origin", a.audit_origin,
                    "With --kafka or --export: the trust file's log to audit (if it names several)");
  audit->add_option("--kafka", a.kafka, "Audit the Kafka topics at BROKERS instead of a data dir (needs --trust)");
  audit->add_option("--prefix", a.prefix, "Topic prefix for --kafka")->capture_default_str();
  audit->add_option("--export", a.export_file, "Audit a JSONL export instead of a data dir (needs --trust)");
  audit->add_option("--checkpoints", a.checkpoints_file, "With --export: the exported checkpoints (JSONL)");
  audit->callback([&] { action = [&] { return cmd_audit(ctx); }; });

  auto* exp = app.add_subcommand("export", "Write signed records (JSONL, position order) or checkpoints to stdout");
  add_data(exp);
  exp->add_option("--from", a.from, "First position")->capture_default_str();
  exp->add_option("--to", a.to, "Last position (0: the end)")->capture_default_str();
  exp->add_flag("--checkpoints", a.checkpoints, "Export the signed checkpoints instead");
  exp->callback([&] { action = [&] { return cmd_export(ctx); }; });

  auto* demo = app.add_subcommand("demo", "Fill the data dir with sample certificates of every kind and lifecycle");
  add_data(demo);
  demo->add_option("--public-base", a.public_base, "Public base URL for QR links")->capture_default_str();
  demo->add_option("--seed", a.seed, "Random seed")->capture_default_str();
  demo->callback([&] { action = [&] { return cmd_demo(ctx); }; });

  auto* show = app.add_subcommand("show", "Show a certificate, now or at a log position / date");
  add_data(show);
  show->add_option("CERT", a.cert, "Certificate id")->required();
  show->add_option("--at", a.at, "Log position or date YYYY-MM-DD");
  show->add_flag("--personal", a.personal,
                 "Open the sealed personal data (name, 身份证号 ...) with the data dir's vault");
  show->callback([&] { action = [&] { return cmd_show(ctx); }; });

  auto* rebuild =
      app.add_subcommand("rebuild", "Drop projections and replay them from the log (ledgerd must be stopped)");
  add_data(rebuild);
  rebuild->add_option("--projection", a.projection, "Only this projection (certificates, statistics)");
  rebuild->callback([&] { action = [&] { return cmd_rebuild(ctx); }; });

  auto* erase = app.add_subcommand(
      "erase", "Erase a holder's personal data (删除权): a signed holder.erased event, then the data key is destroyed");
  add_data(erase);
  erase->add_option("HOLDER", a.holder, "Holder reference (the \"holder\" of its certificates)")->required();
  erase->add_option("--authority", a.code, "The holder's authority")->required();
  erase->add_option("--legal-basis", a.legal_basis, "Legal basis, e.g. 《个人信息保护法》第四十七条第一款第一项")
      ->required();
  erase->add_option("--reason", a.reason, "Why, in words")->required();
  erase->add_option("--in-force-reason", a.in_force_reason,
                    "Required while a certificate of the holder is in force: why erase it anyway");
  erase->add_option("--operator", a.operator_id, "The approver who answers for it")->capture_default_str();
  erase->callback([&] { action = [&] { return cmd_erase(ctx); }; });

  auto* stats = app.add_subcommand("stats", "Certificate counts by authority, kind and status");
  add_data(stats);
  stats->add_option("--authority", a.code, "Only this authority");
  stats->callback([&] { action = [&] { return cmd_stats(ctx); }; });

  auto* doc = app.add_subcommand("document", "Render a certificate version as a signed PDF or OFD");
  add_data(doc);
  doc->add_option("CERT", a.cert, "Certificate id")->required();
  doc->add_option("--out", a.out, "Output file")->required();
  doc->add_option("--format", a.format,
                  "pdf or ofd (OFD for the kinds whose notices ask for it); default: from --out's extension, else pdf")
      ->check(CLI::IsMember({"pdf", "ofd"}));
  doc->add_option("--version", a.version, "Document version (default: the current one)");
  doc->add_flag("--masked", a.masked, "The public copy (personal data masked, no photo)");
  doc->add_option("--public-base", a.public_base, "Public base URL for the QR code")->capture_default_str();
  doc->callback([&] { action = [&] { return cmd_document(ctx); }; });
}

}  // namespace certledger::ctl
