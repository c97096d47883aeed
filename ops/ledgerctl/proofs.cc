// ledgerctl prove and verify-answer: the statement proof bundle
// (doc/proof_format.md) made from a data dir, and checked offline with only
// the trust file; witness-evidence: what a witness kept of a forked log.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "ledger/keyring.h"
#include "ledger/vault.h"
#include "ledger/merkle/cosignature.h"
#include "ledger/util/encoding.h"
#include "ledger/util/json.h"
#include "ops/ledgerctl/data_dir.h"
#include "projections/proof_bundle.h"

namespace certledger::ctl {

using nlohmann::json;

namespace {

struct ProofArgs {
  std::string token, out, file, trust, name, alg = "x25519";
  int64_t max_age = 60;
};
ProofArgs& pa() {
  static ProofArgs a;
  return a;
}

int cmd_prove(const Context& ctx) {
  auto l = open_ro();
  if (!l.ok()) return fail(ctx, l.error());
  auto bundle = projections::build_statement_bundle(l->ledger->store(), pa().token);
  if (!bundle.ok()) return fail(ctx, bundle.error());
  if (pa().out.empty()) {
    std::cout << *bundle;
    return kOk;
  }
  std::ofstream out(pa().out, std::ios::binary);
  out << *bundle;
  if (!out) return fail(ctx, make_error(Errc::io_error, "cannot write " + pa().out));
  return kOk;
}

// The bundle from a file holding either the bundle text or a JSON answer
// whose "proof" member holds it ({"proof": {"bundle": "..."}}).
Result<std::string> bundle_from(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return make_error(Errc::io_error, "cannot read " + file);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (text.empty() || text[0] != '{') return text;
  CL_ASSIGN(json j, parse_json(text, file));
  if (!j.is_object() || !j.contains("proof") || !j["proof"].is_object() || !j["proof"].contains("bundle") ||
      !j["proof"]["bundle"].is_string())
    return make_error(Errc::invalid_argument, file + ": a JSON answer without proof.bundle");
  return j["proof"]["bundle"].get<std::string>();
}

int cmd_verify_answer(const Context& ctx) {
  auto bundle = bundle_from(pa().file);
  if (!bundle.ok()) return fail(ctx, bundle.error());
  auto logs = ops::read_trust_file(pa().trust);
  if (!logs.ok()) return fail(ctx, logs.error());
  Error last = make_error(Errc::invalid_argument, pa().trust + " names no log");
  for (const auto& log : *logs) {
    auto r =
        projections::verify_statement_bundle(*bundle, log.origin, log.key, system_now_ms(), pa().max_age, log.quorum());
    if (!r.ok()) {
      last = r.error();
      if (r.error().code == Errc::unavailable) break;  // this log's, below its quorum
      continue;
    }
    json j = {{"ok", true},
              {"token", r->token},
              {"status", r->status},
              {"tree_size", r->tree_size},
              {"checkpoint_time", format_rfc3339_ms(r->checkpoint_time)},
              {"age_seconds", r->age_seconds},
              {"fresh", r->fresh}};
    if (log.quorum()) j["witnesses"] = r->witnesses;
    if (r->statement) j["statement"] = json::parse(*r->statement, nullptr, false);
    print(ctx, j,
          "verified: " + (r->statement ? r->status : std::string("not in the log")) + " (token " + r->token +
              "), checkpoint " + std::to_string(r->tree_size) + " of " + format_rfc3339_ms(r->checkpoint_time) + ", " +
              std::to_string(r->age_seconds) + " s old" +
              (log.quorum() ? ", cosigned by " + std::to_string(r->witnesses.size()) + " witnesses (quorum " +
                                  log.quorum()->describe() + ")"
                            : std::string()) +
              (r->fresh ? "" : " — older than " + std::to_string(pa().max_age) + " s: live status not confirmed") +
              "\n");
    return r->fresh ? kOk : kCheckFailed;
  }
  return fail(ctx, last);
}

// The signed checkpoints a witness kept when a log showed it two
// histories: each pair proves the fork by itself (anyone can check both
// signatures with the log's key).
// A federation (a replica of several logs) keeps its witness state in
// <data>/witness; a single ledger in its own store.
int cmd_witness_evidence(const Context& ctx) {
  std::vector<std::pair<std::string, std::string>> kept;
  const auto federation = std::filesystem::path(args().data) / "witness";
  if (std::filesystem::exists(federation)) {
    store::StoreOptions so;
    so.path = federation.string();
    so.create_if_missing = false;
    so.read_only = true;
    auto s = store::EventStore::open(so);
    if (!s.ok()) return fail(ctx, s.error());
    kept = (*s)->witness_evidence();
  } else {
    auto l = open_ro();
    if (!l.ok()) return fail(ctx, l.error());
    kept = l->ledger->store().witness_evidence();
  }
  json items = json::array();
  std::string text;
  for (const auto& [origin, evidence] : kept) {
    items.push_back({{"origin", origin}, {"evidence", evidence}});
    text += "=== " + origin + "\n" + evidence + "\n";
  }
  print(ctx, {{"evidence", items}}, text.empty() ? "no evidence: no log showed this witness two histories\n" : text);
  return kOk;
}

// The witness key of a data dir (made if there is none yet), printed as its
// cosigner verifier key: what the logs it witnesses put in their witnesses
// files before it first runs.
int cmd_witness_key(const Context& ctx) {
  const char* pass = std::getenv("CERTLEDGER_KEY_PASSPHRASE");
  std::filesystem::create_directories(args().data);
  KeyRing keys((std::filesystem::path(args().data) / "keys").string(), pass ? pass : "");
  auto key = keys.read_or_create("witness/cosigner", crypto::KeyAlg::ed25519);
  if (!key.ok()) return fail(ctx, key.error());
  const std::string vkey = merkle::cosigner_verifier_key(pa().name, key->public_key());
  print(ctx, {{"name", pa().name}, {"key", vkey}}, vkey + "\n");
  return kOk;
}

// The vault key of a data dir (made if there is none yet): what a primary
// names for this node in its personal-data recipients file.
int cmd_vault_key(const Context& ctx) {
  const char* pass = std::getenv("CERTLEDGER_KEY_PASSPHRASE");
  const std::filesystem::path keys = std::filesystem::path(args().data) / "keys";
  std::error_code ec;
  std::filesystem::create_directories(keys / "vault", ec);
  for (const auto& d : {std::filesystem::path(args().data), keys, keys / "vault"})
    std::filesystem::permissions(d, std::filesystem::perms::owner_all, ec);
  if (pa().alg == "sm2") {
    KeyRing ring(keys.string(), pass ? pass : "");
    auto k = ring.read_or_create("vault/node-sm2", crypto::KeyAlg::sm2);
    if (!k.ok()) return fail(ctx, k.error());
    const nlohmann::json jwk = k->public_key().jwk();
    print(ctx, {{"sm2", jwk}}, jwk.dump() + "\n");
    return kOk;
  }
  auto secret = crypto::read_or_create_node_secret(LocalVault::node_secret_path(keys.string()), pass ? pass : "");
  if (!secret.ok()) return fail(ctx, secret.error());
  const std::string key = base64url_encode(secret->public_raw);
  print(ctx, {{"x25519", key}}, key + "\n");
  return kOk;
}

}  // namespace

void add_proof_commands(CLI::App& app, Context& ctx, Action& action) {
  auto& a = pa();
  auto* prove = app.add_subcommand("prove", "Write the statement proof bundle of a QR token (doc/proof_format.md)");
  add_data(prove);
  prove->add_option("TOKEN", a.token, "The QR token (last segment of the QR URL)")->required();
  prove->add_option("--out", a.out, "Output file (default: stdout)");
  prove->callback([&] { action = [&] { return cmd_prove(ctx); }; });

  auto* verify = app.add_subcommand(
      "verify-answer", "Check a saved proof bundle or JSON answer offline (exit 1 naming what failed, or if stale)");
  verify->add_option("FILE", a.file, "The bundle, or a JSON answer with proof.bundle")->required();
  verify->add_option("--trust", a.trust, "Trust file (origin and log key; witnesses and quorum if any)")->required();
  verify->add_option("--max-age", a.max_age, "Seconds a checkpoint may be old")->capture_default_str();
  verify->callback([&] { action = [&] { return cmd_verify_answer(ctx); }; });

  auto* evidence = app.add_subcommand("witness-evidence",
                                      "Print the signed checkpoints a witness kept as evidence of a log's split view");
  add_data(evidence);
  evidence->callback([&] { action = [&] { return cmd_witness_evidence(ctx); }; });

  auto* wkey = app.add_subcommand(
      "witness-key", "Print the witness verifier key of a data dir (witness_name NAME), making the key if needed");
  add_data(wkey);
  wkey->add_option("--name", a.name, "The witness name (ledgerd --witness-name)")->required();
  wkey->callback([&] { action = [&] { return cmd_witness_key(ctx); }; });

  auto* vkey = app.add_subcommand(
      "vault-key",
      "Print the X25519 key a primary sends this data dir's replica personal-data keys to (made if needed)");
  add_data(vkey);
  vkey->add_option("--alg", a.alg, "x25519 (ECDH-ES) or sm2 (SM2 encryption)")
      ->check(CLI::IsMember({"x25519", "sm2"}))
      ->capture_default_str();
  vkey->callback([&] { action = [&] { return cmd_vault_key(ctx); }; });
}

}  // namespace certledger::ctl
