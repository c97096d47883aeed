// ledgerctl subcommands of the registry and its keys: init, authority add,
// key rotate, keygen, keys, trust.
#include <iostream>

#include "ledger/crypto/jws.h"
#include "ledger/merkle/cosignature.h"
#include "ops/common/cosigner.h"
#include "ops/ledgerctl/data_dir.h"

namespace certledger::ctl {

namespace {

int cmd_init(const Context& ctx) {
  if (std::filesystem::exists(std::filesystem::path(args().data) / "db"))
    return fail(ctx, make_error(Errc::already_exists, "a ledger already exists in " + args().data));
  auto l = open_rw(true);
  if (!l.ok()) return fail(ctx, l.error());
  print(ctx, {{"data", args().data}, {"origin", l->ledger->origin()}, {"log_key", l->ledger->log_verifier_key()}},
        "initialised " + args().data + "\norigin  " + l->ledger->origin() + "\nlog key " +
            l->ledger->log_verifier_key() + "\n");
  return kOk;
}

int cmd_authority_add(const Context& ctx) {
  auto alg = crypto::parse_alg(args().alg);
  if (!alg.ok()) return fail(ctx, alg.error());
  auto l = open_rw();
  if (!l.ok()) return fail(ctx, l.error());
  domain::AuthorityInfo a{args().code, args().name, args().uscc, args().region, args().province};
  auto kid = l->ledger->register_authority(a, *alg, args().operator_id);
  if (!kid.ok()) return fail(ctx, kid.error());
  print(ctx, {{"authority", a.code}, {"kid", *kid}, {"alg", crypto::jws_alg(*alg)}},
        "registered " + a.code + " (" + a.name + ") with key " + *kid + "\n");
  return kOk;
}

int cmd_key_rotate(const Context& ctx) {
  auto alg = crypto::parse_alg(args().alg);
  if (!alg.ok()) return fail(ctx, alg.error());
  auto l = open_rw();
  if (!l.ok()) return fail(ctx, l.error());
  auto kid = l->ledger->rotate_key(args().code, *alg, args().operator_id);
  if (!kid.ok()) return fail(ctx, kid.error());
  print(ctx, {{"authority", args().code}, {"kid", *kid}},
        "new key " + *kid + " for " + args().code + "; the previous key is retired\n");
  return kOk;
}

int cmd_keygen(const Context& ctx) {
  auto alg = crypto::parse_alg(args().alg);
  if (!alg.ok()) return fail(ctx, alg.error());
  auto key = crypto::PrivateKey::generate(*alg);
  if (!key.ok()) return fail(ctx, key.error());
  const char* pass = std::getenv("CERTLEDGER_KEY_PASSPHRASE");
  auto st = key->save(args().out, pass ? pass : "");
  if (!st.ok()) return fail(ctx, st.error());
  print(ctx, {{"file", args().out}, {"jwk", key->public_key().jwk()}},
        "wrote " + args().out + " (mode 0600)\npublic JWK " + key->public_key().jwk().dump() + "\n");
  return kOk;
}

int cmd_keys(const Context& ctx) {
  auto l = open_ro();
  if (!l.ok()) return fail(ctx, l.error());
  std::cout << l->ledger->jwks().dump(ctx.json ? -1 : 2) << "\n";
  return kOk;
}

struct TrustArgs {
  std::string witnesses, format = "json";
};
TrustArgs& ta() {
  static TrustArgs a;
  return a;
}

// The trust file; with --witnesses, the log's witnesses and quorum from
// the primary's witnesses file; --format policy: as a C2SP tlog-policy.
int cmd_trust(const Context& ctx) {
  auto l = open_ro();
  if (!l.ok()) return fail(ctx, l.error());
  nlohmann::json doc = ops::trust_document(*l->ledger);
  auto& entry = doc["logs"][0];
  if (!ta().witnesses.empty()) {
    auto file = ops::read_witnesses_file(ta().witnesses);
    if (!file.ok()) return fail(ctx, file.error());
    entry["witnesses"] = nlohmann::json::array();
    for (const auto& w : file->witnesses)
      entry["witnesses"].push_back(
          {{"name", w.name}, {"key", merkle::cosigner_verifier_key(w.name, w.key)}, {"url", w.url}});
    entry["quorum"] = file->quorum ? nlohmann::json(file->quorum) : nlohmann::json("none");
  }
  if (ta().format == "policy") {
    auto logs = ops::parse_trust_document(doc.dump(), "trust");
    if (!logs.ok()) return fail(ctx, logs.error());
    const auto& log = logs->front();
    if (log.policy) {
      std::cout << log.policy->text();
    } else {
      std::cout << "log " << l->ledger->log_verifier_key() << "\nquorum none\n";
    }
    return kOk;
  }
  std::cout << doc.dump(2) << "\n";
  return kOk;
}

}  // namespace

void add_registry_commands(CLI::App& app, Context& ctx, Action& action) {
  auto& a = args();
  auto* init = app.add_subcommand("init", "Create a data dir: RocksDB store and Ed25519 log key");
  add_data(init);
  init->add_option("--origin", a.origin, "Checkpoint origin (log name)")->capture_default_str();
  init->callback([&] { action = [&] { return cmd_init(ctx); }; });

  auto* auth = app.add_subcommand("authority", "Issuing authorities (发证机关)");
  auth->require_subcommand(1);
  auto* add = auth->add_subcommand("add", "Register an authority and create its signing key");
  add_data(add);
  add->add_option("--code", a.code, "Short code, e.g. GD-ZJT")->required();
  add->add_option("--name", a.name, "Full name, e.g. 广东省住房和城乡建设厅")->required();
  add->add_option("--uscc", a.uscc, "The authority's 统一社会信用代码");
  add->add_option("--region", a.region, "6-digit administrative area code, e.g. 440000")->required();
  add->add_option("--province", a.province, "Province abbreviation, e.g. 粤");
  add->add_option("--alg", a.alg, "Key algorithm: ed25519, es256, sm2")->capture_default_str();
  add->add_option("--operator", a.operator_id, "Who does this (recorded in the log)");
  add->callback([&] { action = [&] { return cmd_authority_add(ctx); }; });

  auto* key = app.add_subcommand("key", "Authority signing keys");
  key->require_subcommand(1);
  auto* rotate = key->add_subcommand("rotate", "Add a new key and retire the current one (recorded in the log)");
  add_data(rotate);
  rotate->add_option("--authority", a.code, "Authority code")->required();
  rotate->add_option("--alg", a.alg, "Key algorithm: ed25519, es256, sm2")->capture_default_str();
  rotate->add_option("--operator", a.operator_id, "Who does this (recorded in the log)");
  rotate->callback([&] { action = [&] { return cmd_key_rotate(ctx); }; });

  auto* keygen = app.add_subcommand(
      "keygen", "Write a new private key (PKCS#8 PEM, 0600; encrypted if CERTLEDGER_KEY_PASSPHRASE is set)");
  keygen->add_option("--alg", a.alg, "ed25519, es256, sm2")->capture_default_str();
  keygen->add_option("--out", a.out, "Output file")->required();
  keygen->callback([&] { action = [&] { return cmd_keygen(ctx); }; });

  auto* keys = app.add_subcommand("keys", "Print the JWKS of every authority and log key, with validity positions");
  add_data(keys);
  keys->callback([&] { action = [&] { return cmd_keys(ctx); }; });

  auto* trust = app.add_subcommand("trust", "Print the trust file downstream verifiers need (origin and log key)");
  add_data(trust);
  trust->add_option("--witnesses", ta().witnesses,
                    "The primary's witnesses file: add its witnesses and quorum to the log's entry");
  trust->add_option("--format", ta().format, "json, or policy (a C2SP tlog-policy file)")
      ->check(CLI::IsMember({"json", "policy"}))
      ->capture_default_str();
  trust->callback([&] { action = [&] { return cmd_trust(ctx); }; });
}

}  // namespace certledger::ctl
