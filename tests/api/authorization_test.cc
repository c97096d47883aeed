// The authorization matrix: every operation of api/openapi.json, asked by
// every kind of caller, against a resource of the caller's authority and of
// another, compared with the table in doc/authorization.md. An operation
// the document adds without a row there (or a row without a way to build
// its request here) fails the test.
//
// Callers: none (no Authorization), malformed, revoked (a revoked GD
// approver), GD's clerk, reviewer, approver, auditor and admin, the GD
// testing institution I1 (institution) and another GD institution I2
// (other_institution), JS's approver and admin (other_approver,
// other_admin), and the log-wide auditor and admin.
// Targets: `-` (no owned resource), `own` (GD's; for certificate reads the
// certificate of I1 itself), `person` (a GD personnel certificate, reads
// only), `other` (JS's).
//
// Each command cell gets a fresh certificate (or report) in a state the
// command applies to, so an allowed cell shows success and a refused one
// shows why; nothing one cell does changes another.
//
// CERTLEDGER_RECORD_MATRIX=1 prints the observed table instead of failing,
// to review and paste into doc/authorization.md when the policy changes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>

#include "api/service.h"
#include "ops/demo/samples.h"
#include "ops/common/backup.h"
#include "ops/common/routes.h"
#include "ops/common/setup.h"
#include "projections/queries.h"
#include "renderers/document.h"
#include "tests/api/api_world.h"

namespace certledger::api {
namespace {

namespace fs = std::filesystem;
using domain::Role;
using nlohmann::json;

const std::vector<std::string> kPrincipals = {
    "none",  "malformed",   "revoked",           "clerk",          "reviewer",    "approver",    "auditor",
    "admin", "institution", "other_institution", "other_approver", "other_admin", "log_auditor", "log_admin"};

struct World : testing::ApiWorld {
  std::shared_ptr<render::DocumentService> documents;
  domain::AuthorityInfo gd = demo::demo_authorities()[0], js = demo::demo_authorities()[3];
  std::map<std::string, std::string> bearer;
  std::string i1, i2, j1, person, js_cert, i1_token_qr, i1_report, j1_report;
  demo::SampleGenerator gen{21};
  int serial = 0;
  std::unique_ptr<Witness> witness;
  std::string witness_checkpoint;

  World() : ApiWorld("authz", {demo::demo_authorities()[0], demo::demo_authorities()[3]}) {
    config.service.lookup_burst = config.service.holder_lookup_burst = 1e9;
    config.service.lookup_per_minute = config.service.holder_lookups_per_minute = 1e9;
    config.backup_root = (dir / "backups").string();
    i1 = issue(gd, "testing_institution");
    i2 = issue(gd, "testing_institution");
    j1 = issue(js, "testing_institution");
    person = issue(gd, "special_operation");
    js_cert = issue(js, "special_operation");
    i1_token_qr = projections::Reader(l.ledger->store()).certificate(i1)->state.token;
    for (auto [name, role] :
         {std::pair{"clerk", Role::clerk}, std::pair{"reviewer", Role::reviewer}, std::pair{"approver", Role::approver},
          std::pair{"auditor", Role::auditor}, std::pair{"admin", Role::admin}})
      bearer[name] = *tokens->create(gd.code, role, std::string("gd.") + name);
    bearer["institution"] = *tokens->create(gd.code, Role::institution, "i1.staff", i1);
    bearer["other_institution"] = *tokens->create(gd.code, Role::institution, "i2.staff", i2);
    bearer["j1_institution"] = *tokens->create(js.code, Role::institution, "j1.staff", j1);
    bearer["other_approver"] = *tokens->create(js.code, Role::approver, "js.approver");
    bearer["other_admin"] = *tokens->create(js.code, Role::admin, "js.admin");
    bearer["log_auditor"] = *tokens->create("", Role::auditor, "external.auditor", "", true);
    bearer["log_admin"] = *tokens->create("", Role::admin, "log.operator", "", true);
    bearer["revoked"] = *tokens->create(gd.code, Role::approver, "gone");
    const std::string revoked_id = bearer["revoked"].substr(4, bearer["revoked"].find('_', 4) - 4);
    EXPECT_TRUE(tokens->revoke(revoked_id).ok());
    bearer["malformed"] = "not-a-token";
    documents = std::make_shared<render::DocumentService>(*l.ledger, config.service.public_base_url);
    Extensions ext;
    ext.render_document = [d = documents](const std::string& id, uint32_t v, bool masked,
                                          const std::string& f) -> Result<std::string> {
      CL_ASSIGN(auto fmt, render::DocumentService::parse_format(f));
      return d->render(id, v, masked, fmt);
    };
    ext.routes.push_back(ops::backup_route(*l.ledger, config));
    // A witness of this world's own log, which has cosigned its checkpoint
    // already: a second submission of it is 409 whoever sends it.
    config.witness_name = "witness.test/authz";
    config.witness_logs = (dir / "witness-logs.json").string();
    std::ofstream((dir / "witness-logs.json").string()) << ops::trust_document(*l.ledger).dump();
    EXPECT_TRUE(l.ledger->sequencer()->checkpoint_now().ok());
    witness_checkpoint = "old 0\n\n" + l.ledger->store().latest_checkpoint()->second;
    witness = std::move(ops::open_witness(*l.ledger, config)).value();
    EXPECT_EQ(witness->add_checkpoint(witness_checkpoint).status, 200);
    ext.routes.push_back(ops::witness_route(*witness));
    make_service(std::move(ext));
    i1_report = report(bearer["institution"]);
    j1_report = report(bearer["j1_institution"]);
  }
  json fields(const domain::AuthorityInfo& a, const std::string& kind) {
    return gen.fields(*domain::find_kind(kind), a, china_date(system_now_ms()).plus_days(-30));
  }
  std::string issue(const domain::AuthorityInfo& a, const std::string& kind) {
    domain::CommandInput c;
    c.type = domain::CommandType::issue;
    c.kind = kind;
    c.actor = {"setup", Role::approver, {}};
    for (int attempt = 0; attempt < 5; ++attempt) {  // a generated number may be taken already
      c.fields = fields(a, kind);
      auto r = l.ledger->execute(a.code, c);
      if (r.ok()) return r->state.id;
      EXPECT_EQ(r.error().code, Errc::already_exists) << r.error().to_string();
    }
    ADD_FAILURE() << "could not issue a " << kind;
    return "";
  }
  void act(const domain::AuthorityInfo& a, const std::string& id, domain::CommandType t) {
    domain::CommandInput c;
    c.type = t;
    c.certificate_id = id;
    c.reason = "setup";
    c.actor = {"setup", Role::approver, {}};
    auto r = l.ledger->execute(a.code, c);
    EXPECT_TRUE(r.ok()) << r.error().to_string();
  }
  std::string report(const std::string& institution_bearer) {
    const std::string cert = institution_bearer == bearer["j1_institution"]      ? j1
                             : institution_bearer == bearer["other_institution"] ? i2
                                                                                 : i1;
    auto scope = projections::Reader(l.ledger->store()).certificate(cert)->state.fields["scope"][0];
    json body = {{"fields",
                  {{"report_number", "R-" + std::to_string(++serial)},
                   {"project_name", "某工程"},
                   {"category", scope},
                   {"test_date", china_date(system_now_ms()).to_string()},
                   {"result_summary", "合格"},
                   {"file_sha256", std::string(64, 'a')}}}};
    Request r{"POST", "/api/v1/reports", {}, body.dump(), "c"};
    r.headers["Authorization"] = "Bearer " + institution_bearer;
    auto resp = service->handle(r);
    EXPECT_EQ(resp.status, 201) << resp.body;
    return json::parse(resp.body).value("code", "");
  }
};

// The home authority of a caller: whose fields it issues with.
const domain::AuthorityInfo& home(World& w, const std::string& principal) {
  return principal.rfind("other_", 0) == 0 && principal != "other_institution" ? w.js : w.gd;
}

struct Op {
  std::vector<std::string> targets;
  // The request for (caller, target); may create fresh resources.
  std::function<Request(World&, const std::string& principal, const std::string& target)> make;
};

Request get(std::string target) { return Request{"GET", std::move(target), {}, "", "c"}; }
Request post(std::string target, const json& body) { return Request{"POST", std::move(target), {}, body.dump(), "c"}; }

// A fresh certificate the command applies to, of the target's authority.
std::string fresh_for(World& w, const std::string& target, const std::string& op) {
  const auto& a = target == "other" ? w.js : w.gd;
  const std::string kind = op == "reviews" ? "special_operation" : "testing_institution";
  std::string id = w.issue(a, kind);
  if (op == "reinstatements") w.act(a, id, domain::CommandType::suspend);
  return id;
}

json command_body(const std::string& op) {
  if (op == "amendments")
    return {{"reason", "legal_representative_changed"}, {"changes", {{"legal_representative", "赵六"}}}};
  if (op == "renewals") return {{"valid_until", china_date(system_now_ms()).plus_years(8).to_string()}};
  if (op == "reviews") return {{"valid_until", china_date(system_now_ms()).plus_years(3).to_string()}};
  if (op == "reinstatements") return json::object();
  if (op == "reissues") return {{"reason", "lost"}};
  return {{"reason", "依法处理"}};
}

std::map<std::string, Op> operations() {
  std::map<std::string, Op> ops;
  const std::vector<std::string> reads = {"own", "person", "other"}, owned = {"own", "other"}, none = {"-"};
  auto cert_of = [](World& w, const std::string& t) {
    return t == "own" ? w.i1 : t == "person" ? w.person : w.js_cert;
  };
  ops["issueCertificate"] = {
      none, [](World& w, const std::string& p, const std::string&) {
        return post("/api/v1/certificates", {{"kind", "design"}, {"fields", w.fields(home(w, p), "design")}});
      }};
  ops["listCertificatesOfHolder"] = {
      none, [](World& w, const std::string&, const std::string&) {
        return get("/api/v1/certificates?holder=" +
                   projections::Reader(w.l.ledger->store()).certificate(w.i1)->state.fields["uscc"].get<std::string>());
      }};
  for (auto [id, suffix] : {std::pair{"getCertificate", ""}, std::pair{"getCertificateEvents", "/events"},
                            std::pair{"getCertificateDocument", "/document.pdf"},
                            std::pair{"getCertificateDocumentOfd", "/document.ofd"}}) {
    const std::string s = suffix;
    ops[id] = {reads, [cert_of, s](World& w, const std::string&, const std::string& t) {
                 return get("/api/v1/certificates/" + cert_of(w, t) + s);
               }};
  }
  for (auto [id, op] :
       {std::pair{"amendCertificate", "amendments"}, std::pair{"reissueCertificate", "reissues"},
        std::pair{"renewCertificate", "renewals"}, std::pair{"reviewCertificate", "reviews"},
        std::pair{"suspendCertificate", "suspensions"}, std::pair{"reinstateCertificate", "reinstatements"},
        std::pair{"cancelCertificate", "cancellation"}, std::pair{"revokeCertificate", "revocation"},
        std::pair{"withdrawCertificate", "withdrawal"}}) {
    const std::string o = op;
    ops[id] = {owned, [o](World& w, const std::string&, const std::string& t) {
                 return post("/api/v1/certificates/" + fresh_for(w, t, o) + "/" + o, command_body(o));
               }};
  }
  auto public_get = [none](std::function<std::string(World&)> target) {
    return Op{none, [target](World& w, const std::string&, const std::string&) { return get(target(w)); }};
  };
  ops["verifyPage"] = public_get([](World& w) { return "/v/" + w.i1_token_qr; });
  ops["verifyDocument"] = public_get([](World& w) { return "/v/" + w.i1_token_qr + "/document.pdf"; });
  ops["verifyDocumentOfd"] = public_get([](World& w) { return "/v/" + w.i1_token_qr + "/document.ofd"; });
  ops["verify"] = public_get([](World& w) { return "/api/v1/verify/" + w.i1_token_qr; });
  ops["lookup"] = public_get([](World& w) {
    return "/api/v1/lookup?kind=testing_institution&number=" +
           projections::Reader(w.l.ledger->store()).certificate(w.i1)->state.fields["number"].get<std::string>();
  });
  ops["eventFeed"] = public_get([](World&) { return "/api/v1/events?after=0&limit=5"; });
  ops["checkpoint"] = public_get([](World& w) {
    (void)w.l.ledger->sequencer()->checkpoint_now();
    return "/api/v1/checkpoint";
  });
  ops["inclusionProof"] = public_get([](World&) { return "/api/v1/proofs/inclusion?position=1&tree_size=2"; });
  ops["consistencyProof"] = public_get([](World&) { return "/api/v1/proofs/consistency?from=1&to=2"; });
  for (auto [id, path] :
       {std::pair{"keys", "/api/v1/keys"}, std::pair{"openapi", "/openapi.json"}, std::pair{"metrics", "/metrics"},
        std::pair{"healthz", "/healthz"}, std::pair{"readyz", "/readyz"}, std::pair{"statistics", "/api/v1/stats"},
        std::pair{"statisticsPage", "/stats"}, std::pair{"verifierScript", "/static/statement-verifier.js"},
        std::pair{"tilesCheckpoint", "/tiles/checkpoint"}, std::pair{"hashTile", "/tiles/tile/0/000.p/1"},
        std::pair{"entryBundle", "/tiles/tile/entries/000.p/1"}, std::pair{"federationLogs", "/logs"}}) {
    const std::string p = path;
    ops[id] = public_get([p](World&) { return p; });
  }
  ops["registerReport"] = {none, [](World& w, const std::string& p, const std::string&) {
                             const std::string cert = p == "other_institution" ? w.i2 : w.i1;
                             auto scope =
                                 projections::Reader(w.l.ledger->store()).certificate(cert)->state.fields["scope"][0];
                             return post("/api/v1/reports", {{"fields",
                                                              {{"report_number", "M-" + std::to_string(++w.serial)},
                                                               {"project_name", "某工程"},
                                                               {"category", scope},
                                                               {"test_date", china_date(system_now_ms()).to_string()},
                                                               {"result_summary", "合格"},
                                                               {"file_sha256", std::string(64, 'b')}}}});
                           }};
  ops["getReport"] = {owned, [](World& w, const std::string&, const std::string& t) {
                        return get("/api/v1/reports/" + (t == "own" ? w.i1_report : w.j1_report));
                      }};
  ops["withdrawReport"] = {owned, [](World& w, const std::string&, const std::string& t) {
                             const std::string code =
                                 w.report(t == "own" ? w.bearer["institution"] : w.bearer["j1_institution"]);
                             return post("/api/v1/reports/" + code + "/withdrawal", {{"reason", "数据错误"}});
                           }};
  ops["checkReport"] = public_get([](World& w) { return "/api/v1/reports/" + w.i1_report + "/check"; });
  ops["reportPage"] = public_get([](World& w) { return "/r/" + w.i1_report; });
  ops["addCheckpoint"] = {none, [](World& w, const std::string&, const std::string&) {
                            return Request{"POST", "/add-checkpoint", {}, w.witness_checkpoint, "c"};
                          }};
  ops["eraseHolder"] = {
      owned, [](World& w, const std::string&, const std::string& t) {
        // A fresh person whose certificate is cancelled: nothing in force.
        const auto& a = t == "other" ? w.js : w.gd;
        const std::string id = w.issue(a, "special_operation");
        w.act(a, id, domain::CommandType::cancel);
        const std::string holder = projections::Reader(w.l.ledger->store()).certificate(id)->state.holder;
        return post("/api/v1/holders/" + holder + "/erasure",
                    {{"legal_basis", "《个人信息保护法》第四十七条第一款第一项"}, {"reason", "处理目的已实现"}});
      }};
  ops["backup"] = {none, [](World& w, const std::string&, const std::string&) {
                     return post("/api/v1/admin/backup", {{"to", "b" + std::to_string(++w.serial)}});
                   }};
  return ops;
}

// doc/authorization.md: rows "| operationId | target | status per caller ... |".
std::map<std::pair<std::string, std::string>, std::vector<int>> read_table(const std::string& path) {
  std::ifstream in(path);
  std::map<std::pair<std::string, std::string>, std::vector<int>> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("| `", 0) != 0) continue;
    std::vector<std::string> cells;
    std::stringstream ss(line.substr(1));
    std::string cell;
    while (std::getline(ss, cell, '|')) {
      const auto b = cell.find_first_not_of(" `"), e = cell.find_last_not_of(" `");
      cells.push_back(b == std::string::npos ? "" : cell.substr(b, e - b + 1));
    }
    if (cells.size() < 2 + kPrincipals.size()) continue;
    std::vector<int> statuses;
    for (size_t i = 0; i < kPrincipals.size(); ++i) statuses.push_back(std::atoi(cells[2 + i].c_str()));
    rows[{cells[0], cells[1]}] = statuses;
  }
  return rows;
}

TEST(Authorization, EveryOperationByEveryCallerMatchesTheTable) {
  const json doc = json::parse(openapi_document());
  const auto table = read_table(std::string(CERTLEDGER_SOURCE_DIR) + "/doc/authorization.md");
  const bool record = std::getenv("CERTLEDGER_RECORD_MATRIX") != nullptr;
  World w;
  auto ops = operations();
  std::set<std::pair<std::string, std::string>> covered;
  std::ostringstream observed;
  for (const auto& [path, item] : doc["paths"].items())
    for (const auto& [method, op] : item.items()) {
      if (!op.is_object() || !op.contains("operationId")) continue;
      const std::string id = op["operationId"];
      auto builder = ops.find(id);
      if (builder == ops.end()) {
        ADD_FAILURE() << "no request for operation " << id << " (" << method << " " << path << ")";
        continue;
      }
      for (const auto& target : builder->second.targets) {
        covered.insert({id, target});
        auto row = table.find({id, target});
        if (row == table.end() && !record)
          ADD_FAILURE() << "doc/authorization.md has no row for " << id << " " << target;
        observed << "| `" << id << "` | " << target;
        for (size_t i = 0; i < kPrincipals.size(); ++i) {
          const std::string& p = kPrincipals[i];
          Request req = builder->second.make(w, p, target);
          if (p != "none") req.headers["Authorization"] = "Bearer " + w.bearer.at(p);
          Response resp = w.service->handle(req);
          observed << " | " << resp.status;
          if (row != table.end() && !record) {
            EXPECT_EQ(resp.status, row->second[i])
                << id << " " << target << " by " << p << ": " << resp.body.substr(0, 300);
          }
        }
        observed << " |\n";
      }
    }
  for (const auto& [key, _] : table)
    if (!covered.count(key))
      ADD_FAILURE() << "doc/authorization.md has a row for " << key.first << " " << key.second
                    << " that api/openapi.json does not define";
  if (record) std::cout << observed.str();
}

}  // namespace
}  // namespace certledger::api
