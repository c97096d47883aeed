#include <gtest/gtest.h>

#include "tests/wait.h"

#include <random>
#include <set>
#include <thread>

#include "ledger/audit.h"
#include "ledger/merkle/checkpoint.h"
#include "ledger/util/encoding.h"
#include "projections/projections.h"
#include "projections/proof_bundle.h"
#include "projections/queries.h"
#include "tests/unit/ledger_helpers.h"

namespace certledger::projections {
namespace {

using namespace certledger::testing;
using domain::CommandType;

struct Fixture {
  TempDir dir;
  std::vector<std::unique_ptr<Projection>> projections = standard_projections();
  std::unique_ptr<Ledger> ledger;
  UnixMillis now = system_now_ms();

  explicit Fixture(bool fixed_clock = false) {
    LedgerOptions o = test_options(dir.str());
    o.contributors = as_contributors(projections);
    o.checkpoint_extensions = checkpoint_extensions;
    if (fixed_clock) o.clock = [this] { return now; };
    ledger = open_ledger(dir.str(), o);
    register_demo_authorities(*ledger);
  }
  Reader reader() const { return Reader(ledger->store()); }
  Result<Outcome> run(const std::string& authority, CommandType t, const std::string& id,
                      std::string reason = "依法处理") {
    domain::CommandInput c;
    c.type = t;
    c.certificate_id = id;
    c.reason = std::move(reason);
    c.actor = approver();
    return ledger->execute(authority, c);
  }
  // Every projection family, dumped: for byte-for-byte comparison.
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> dump() {
    std::map<std::string, std::vector<std::pair<std::string, std::string>>> out;
    for (auto& p : projections)
      for (const auto& cf : p->column_families()) {
        EXPECT_TRUE(ledger->store()
                        .scan_prefix(cf, "",
                                     [&](std::string_view k, std::string_view v) {
                                       out[cf].emplace_back(k, v);
                                       return true;
                                     })
                        .ok());
      }
    return out;
  }
};

// A command's answer carries the view its one fold left: the same view a
// reader gets, and the certificate state of the outcome is that fold's.
TEST(Projections, ACommandCarriesTheViewItsFoldLeft) {
  Fixture f;
  demo::SampleGenerator gen(12);
  auto a = demo::demo_authorities()[0];
  auto issued = f.ledger->execute(a.code, issue_command(gen, "safety_license", a));
  ASSERT_TRUE(issued.ok()) << issued.error().to_string();
  auto suspended = f.run(a.code, CommandType::suspend, issued->state.id);
  ASSERT_TRUE(suspended.ok()) << suspended.error().to_string();
  const CertView* folded = folded_view(suspended->folded);
  ASSERT_NE(folded, nullptr);
  auto stored = f.reader().certificate(issued->state.id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(encode(*folded), encode(*stored));
  EXPECT_EQ(folded->last_position, suspended->record.position);
  EXPECT_EQ(suspended->state.status, domain::CertStatus::suspended);
  EXPECT_EQ(suspended->state.stream_version, 2u);
  auto loaded = f.ledger->load(issued->state.id);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->last_hash, suspended->state.last_hash);
}

// The statement as a json object dumps it: the definition the hand-written
// public_statement must reproduce byte for byte (old data dirs' checkpoints
// name map roots made from these bytes).
std::string reference_statement(const CertView& v, uint32_t version) {
  using nlohmann::json;
  const auto& s = v.state;
  const VersionInfo* vi = nullptr;
  for (const auto& x : v.versions)
    if (x.version == version) vi = &x;
  const PublicView pv = public_view(v, version, Date{});
  json fields = json::object();
  if (const auto* kind = domain::find_kind(s.kind); kind && vi)
    fields = public_fields(*kind, version == s.doc_version ? s.fields : json::parse(vi->fields_json, nullptr, false));
  if (fields.is_discarded()) fields = json::object();
  const std::string valid_from = fields.value("valid_from", fields.value("issue_date", ""));
  json j = {{"v", kStatementFormat},       {"certificate", s.id},      {"kind", s.kind},
            {"authority", s.authority},    {"version", version},       {"status", public_status_name(pv.status)},
            {"fields", std::move(fields)}, {"valid_from", valid_from}, {"valid_until", vi ? vi->valid_until : ""},
            {"position", v.last_position}};
  if (pv.superseded_by) j["superseded_by"] = *pv.superseded_by;
  if (!pv.since.empty()) j["since"] = pv.since;
  if (!pv.reason.empty()) j["reason"] = pv.reason;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
}

TEST(Projections, StatementsAreTheBytesAJsonObjectDumps) {
  Fixture f;
  demo::SampleGenerator gen(21);
  int compared = 0;
  for (const auto& a : demo::demo_authorities())
    for (const auto& kind : domain::all_kinds()) {
      auto issued = f.ledger->execute(a.code, issue_command(gen, std::string(kind.code), a));
      ASSERT_TRUE(issued.ok()) << issued.error().to_string();
      const std::string id = issued->state.id;
      // What a kind allows differs (not every kind can be suspended):
      // whatever each accepts is compared.
      switch (compared++ % 4) {
        case 0: (void)f.run(a.code, CommandType::reissue, id, "lost"); break;
        case 1: (void)f.run(a.code, CommandType::revoke, id, "违法 \"行为\" \\ 依法吊销"); break;
        case 2: (void)f.run(a.code, CommandType::suspend, id); break;
        default: break;
      }
    }
  int statements = 0;
  ASSERT_TRUE(f.reader()
                  .each_certificate([&](const CertView& v) {
                    for (const auto& x : v.versions) {
                      EXPECT_EQ(public_statement(v, x.version), reference_statement(v, x.version))
                          << v.state.id << " v" << x.version;
                      ++statements;
                    }
                    return true;
                  })
                  .ok());
  EXPECT_GT(statements, compared) << "older versions too";
}

// The state map: each checkpoint names the map root after its size; the
// root is the one the statements of every token make, recomputed here from
// the views alone; every token's statement is proven in it, an unknown
// token proven absent; statements carry no unmasked personal data.
TEST(Projections, TheStateMapCommitsEveryTokensStatement) {
  Fixture f;
  demo::SampleGenerator gen(13);
  auto a = demo::demo_authorities()[0];
  std::vector<std::string> ids;
  for (const char* kind : {"safety_license", "special_operation", "testing_institution", "staff_training"}) {
    auto r = f.ledger->execute(a.code, issue_command(gen, kind, a));
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    ids.push_back(r->state.id);
  }
  ASSERT_TRUE(f.run(a.code, CommandType::suspend, ids[0]).ok());
  ASSERT_TRUE(f.run(a.code, CommandType::revoke, ids[1]).ok());
  auto reissued = f.run(a.code, CommandType::reissue, ids[2], "lost");
  ASSERT_TRUE(reissued.ok()) << reissued.error().to_string();
  ASSERT_TRUE(f.ledger->sequencer()->checkpoint_now().ok());

  const auto& store = f.ledger->store();
  auto cp = store.latest_checkpoint();
  ASSERT_TRUE(cp);
  EXPECT_EQ(cp->first, store.last_position());
  auto body = merkle::parse_checkpoint_body(cp->second);
  ASSERT_TRUE(body.ok());
  auto named = map_root_of(*body);
  ASSERT_TRUE(named) << cp->second;
  const auto snapshot = store.snapshot();
  merkle::BucketMap stored;
  ASSERT_TRUE(load_bucket_map(store, stored).ok());
  EXPECT_EQ(*named, stored.root());

  // From the views alone.
  struct Memory : merkle::MapNodes {
    std::map<std::string, std::string> m;
    std::optional<std::string> get(std::string_view k) const override {
      auto it = m.find(std::string(k));
      return it == m.end() ? std::nullopt : std::optional<std::string>(it->second);
    }
    void put(std::string_view k, std::string_view v) override { m[std::string(k)] = v; }
  } fresh;
  std::vector<merkle::MapUpdate> all;
  std::map<std::string, std::string> statement_of;  // token -> statement
  for (const auto& id : ids) {
    auto v = f.reader().certificate(id);
    ASSERT_TRUE(v.ok());
    for (const auto& x : v->versions) {
      statement_of[x.token] = public_statement(*v, x.version);
      all.push_back(statement_entry(x.token, statement_of[x.token]));
    }
  }
  EXPECT_EQ(merkle::map_update(fresh, all), *named);

  std::map<std::string, int> statuses;
  for (const auto& [token, statement] : statement_of) {
    auto proof = stored.prove(SnapshotBuckets(*snapshot), sha256(token));
    EXPECT_TRUE(merkle::map_verify(*named, sha256(token), sha256(statement), proof).ok()) << statement;
    auto j = nlohmann::json::parse(statement);
    ++statuses[j["status"].get<std::string>()];
    EXPECT_EQ(j.dump(), statement) << "canonical: sorted members, no spaces";
  }
  EXPECT_EQ(statuses["suspended"], 1);
  EXPECT_EQ(statuses["revoked"], 1);
  EXPECT_EQ(statuses["superseded"], 1);
  EXPECT_EQ(statuses["valid"], 2);  // the reissued version and the training certificate
  const std::string unknown = "not-a-token-of-this-log";
  EXPECT_TRUE(merkle::map_verify(*named, sha256(unknown), std::nullopt,
                                 stored.prove(SnapshotBuckets(*snapshot), sha256(unknown)))
                  .ok());

  // No unmasked ID number or name of the personnel certificate.
  auto person = f.reader().certificate(ids[1]);
  ASSERT_TRUE(person.ok());
  auto opened = opened_view(*person, f.ledger->vault());
  ASSERT_TRUE(opened.ok());
  const std::string id_number = opened->state.fields.value("id_number", "");
  const std::string name = opened->state.fields.value("name", "");
  ASSERT_NE(id_number, person->state.fields.value("id_number", ""));
  ASSERT_EQ(id_number.size(), 18u);
  for (const auto& [token, statement] : statement_of) {
    EXPECT_EQ(statement.find(id_number), std::string::npos);
    EXPECT_EQ(statement.find(name), std::string::npos);
  }
}

// The audit recomputes every checkpoint's map root from the records, and
// names a checkpoint whose map-root line says otherwise.
TEST(Projections, TheAuditRecomputesMapRoots) {
  Fixture f;
  demo::SampleGenerator gen(14);
  auto a = demo::demo_authorities()[0];
  for (int round = 0; round < 3; ++round) {
    auto r = f.ledger->execute(a.code, issue_command(gen, "safety_license", a));
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    ASSERT_TRUE(f.run(a.code, CommandType::suspend, r->state.id).ok());
    ASSERT_TRUE(f.ledger->sequencer()->checkpoint_now().ok());
  }
  auto& store = f.ledger->store();
  auto checked = audit_state_map(store);
  ASSERT_TRUE(checked.ok()) << checked.error().message;
  EXPECT_GE(*checked, 3u);

  // A checkpoint (signature aside: audit_store checks those) naming
  // another root at a size the records reach.
  const uint64_t size = store.last_position();
  Hash256 wrong = *map_root_at(store, size);
  wrong[5] ^= 0x40;
  const std::string note = "certledger.test/log\n" + std::to_string(size) + "\nAAAA\nmap-root " +
                           base64_encode(hash_bytes(wrong)) + "\n\n\xe2\x80\x94 x AAAA\n";
  ASSERT_TRUE(store.put_checkpoint(size, note).ok());
  auto caught = audit_state_map(store);
  ASSERT_FALSE(caught.ok());
  EXPECT_NE(caught.error().message.find("checkpoint " + std::to_string(size)), std::string::npos)
      << caught.error().message;
}

// The live prover takes up each checkpoint the writer makes, proves
// against exactly that state (a change after it is not in its proofs until
// the next one), and its bundles verify.
TEST(Projections, TheProverFollowsCheckpointsAndProvesExactlyTheirState) {
  Fixture f;
  demo::SampleGenerator gen(16);
  auto a = demo::demo_authorities()[0];
  auto issued = f.ledger->execute(a.code, issue_command(gen, "safety_license", a));
  ASSERT_TRUE(issued.ok());
  const auto& store = f.ledger->store();
  StatementProver prover(store);
  EXPECT_EQ(prover.prove(issued->state.token).error().code, Errc::unavailable) << "nothing taken up yet";
  prover.follow();
  auto vkey = merkle::parse_note_verifier_key(f.ledger->log_verifier_key());
  ASSERT_TRUE(vkey.ok());
  auto at = [&](uint64_t size) {
    certledger::testing::wait_until([&] {
      auto cp = prover.checkpoint();
      return cp && cp->size == size;
    });
    auto cp = prover.checkpoint();
    return cp && cp->size == size;
  };
  auto status_of = [&](const StatementProver::Proof& p) {
    auto c = verify_statement_bundle(p.bundle(), vkey->first, vkey->second, system_now_ms());
    EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
    return c.ok() ? c->status : std::string("refused");
  };
  ASSERT_TRUE(f.ledger->sequencer()->checkpoint_now().ok());
  const uint64_t first = store.last_position();
  ASSERT_TRUE(prover.publish_latest().ok()) << "(the writer may have made this checkpoint before follow())";
  ASSERT_TRUE(at(first));
  auto p1 = prover.prove(issued->state.token);
  ASSERT_TRUE(p1.ok());
  EXPECT_EQ(status_of(*p1), "valid");
  EXPECT_EQ(p1->position, issued->record.position);
  EXPECT_EQ(p1->tree_size, first);

  // Revoked, not yet checkpointed: the proof is still the checkpoint's
  // (valid, at the issue's position); the answer knows it is behind.
  auto revoked = f.run(a.code, CommandType::revoke, issued->state.id);
  ASSERT_TRUE(revoked.ok());
  auto p2 = prover.prove(issued->state.token);
  ASSERT_TRUE(p2.ok());
  EXPECT_EQ(p2->tree_size, first);
  EXPECT_EQ(status_of(*p2), "valid");
  EXPECT_LT(p2->position, revoked->record.position);

  ASSERT_TRUE(f.ledger->sequencer()->checkpoint_now().ok());
  ASSERT_TRUE(at(store.last_position()));
  auto p3 = prover.prove(issued->state.token);
  ASSERT_TRUE(p3.ok());
  EXPECT_EQ(status_of(*p3), "revoked");
  EXPECT_EQ(p3->position, revoked->record.position);
  EXPECT_EQ(p3->note, *store.checkpoint_at(p3->tree_size));
  EXPECT_EQ(prover.refused(), 0u);
  // An unknown token's proof shows it absent at the same checkpoint.
  auto absent = prover.prove("never-issued");
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->statement);
  EXPECT_EQ(status_of(*absent), "unknown");
}

// The statement proof bundle: built from the store, checked with only the
// log key; every deliberately broken bundle is refused.
TEST(Projections, StatementBundlesVerifyAndBrokenOnesAreRefused) {
  Fixture f;
  demo::SampleGenerator gen(15);
  auto a = demo::demo_authorities()[0];
  auto issued = f.ledger->execute(a.code, issue_command(gen, "safety_license", a));
  ASSERT_TRUE(issued.ok());
  auto other = f.ledger->execute(a.code, issue_command(gen, "safety_license", a));
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(f.run(a.code, CommandType::revoke, issued->state.id).ok());
  ASSERT_TRUE(f.ledger->sequencer()->checkpoint_now().ok());
  const auto& store = f.ledger->store();
  const std::string origin = f.ledger->origin();
  auto vkey = merkle::parse_note_verifier_key(f.ledger->log_verifier_key());
  ASSERT_TRUE(vkey.ok());
  const crypto::PublicKey& key = vkey->second;
  const UnixMillis now = system_now_ms();

  auto bundle = build_statement_bundle(store, issued->state.token);
  ASSERT_TRUE(bundle.ok()) << bundle.error().message;
  auto ok = verify_statement_bundle(*bundle, origin, key, now);
  ASSERT_TRUE(ok.ok()) << ok.error().message << "\n" << *bundle;
  EXPECT_EQ(ok->status, "revoked");
  EXPECT_TRUE(ok->fresh);
  EXPECT_EQ(ok->tree_size, store.last_position());
  auto valid = verify_statement_bundle(*build_statement_bundle(store, other->state.token), origin, key, now);
  ASSERT_TRUE(valid.ok());
  EXPECT_EQ(valid->status, "valid");
  auto unknown = build_statement_bundle(store, "no-such-token");
  ASSERT_TRUE(unknown.ok());
  auto absent = verify_statement_bundle(*unknown, origin, key, now);
  ASSERT_TRUE(absent.ok()) << absent.error().message;
  EXPECT_EQ(absent->status, "unknown");
  EXPECT_FALSE(absent->statement);

  auto line_of = [](const std::string& b, const std::string& name) {
    const size_t at = b.find("\n" + name + " ") + 1;
    return std::make_pair(at, b.find('\n', at));
  };
  auto replace_line = [&](std::string b, const std::string& name, const std::string& text) {
    auto [from, to] = line_of(b, name);
    return b.replace(from, to - from, text);
  };
  auto refused = [&](const std::string& b, const std::string& why) {
    auto r = verify_statement_bundle(b, origin, key, now);
    EXPECT_FALSE(r.ok()) << why;
  };
  {  // one byte of the statement changed
    auto [from, to] = line_of(*bundle, "statement");
    std::string st = *base64_decode(std::string_view(*bundle).substr(from + 10, to - from - 10));
    st[st.find("revoked")] = 'R';
    refused(replace_line(*bundle, "statement", "statement " + base64_encode(st)), "statement byte");
  }
  {  // a wrong inclusion path
    auto [from, to] = line_of(*bundle, "inclusion");
    std::string h = *base64_decode(std::string_view(*bundle).substr(from + 10, to - from - 10));
    h[0] ^= 1;
    refused(replace_line(*bundle, "inclusion", "inclusion " + base64_encode(h)), "inclusion path");
  }
  // another key
  auto stranger = crypto::PrivateKey::generate(crypto::KeyAlg::ed25519);
  EXPECT_FALSE(verify_statement_bundle(*bundle, origin, stranger->public_key(), now).ok()) << "wrong key";
  // the proof for another token
  refused(replace_line(*bundle, "token", "token " + other->state.token), "another token");
  // a non-inclusion proof for a present token
  refused(replace_line(*unknown, "token", "token " + issued->state.token), "absence of a present token");
  // the statement dropped (claiming absence) while its token is present
  {
    auto [from, to] = line_of(*bundle, "statement");
    refused(std::string(*bundle).erase(from, to - from + 1), "statement dropped");
  }
  // a statement for the right token moved to another record position
  {
    auto [from, to] = line_of(*bundle, "record");
    std::string rec = bundle->substr(from, to - from);
    const size_t sp = rec.find(' ', 7);
    refused(replace_line(*bundle, "record", "record 1" + rec.substr(sp)), "another position");
  }
  // the checkpoint older than the bound: verified, but not fresh
  auto old = verify_statement_bundle(*bundle, origin, key, now + 3600 * 1000, 60);
  ASSERT_TRUE(old.ok());
  EXPECT_FALSE(old->fresh);
  EXPECT_GE(old->age_seconds, 3600);
  // the log moved past its checkpoint: no bundle rather than a wrong one
  ASSERT_TRUE(f.run(a.code, CommandType::revoke, other->state.id).ok());
  if (store.latest_checkpoint()->first != store.last_position())
    EXPECT_FALSE(build_statement_bundle(store, other->state.token).ok());
}

TEST(Projections, ReadYourWritesAndEveryStatusWord) {
  Fixture f;
  demo::SampleGenerator gen(11);
  auto a = demo::demo_authorities()[0];
  std::map<std::string, std::string> token_to_expected;
  auto issue = [&](const std::string& kind) {
    auto r = f.ledger->execute(a.code, issue_command(gen, kind, a));
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    // Visible at once.
    auto hit = f.reader().by_token(r->state.token);
    EXPECT_TRUE(hit.ok());
    return *r;
  };
  const Date today = china_date(system_now_ms());
  auto status_of = [&](const std::string& token) {
    auto hit = f.reader().by_token(token);
    return hit.ok() ? std::string(public_status_word(public_view(hit->view, hit->version, today).status))
                    : std::string("?");
  };
  auto valid = issue("safety_license");
  EXPECT_EQ(status_of(valid.state.token), "有效");

  auto suspended = issue("safety_license");
  ASSERT_TRUE(f.run(a.code, CommandType::suspend, suspended.state.id).ok());
  EXPECT_EQ(status_of(suspended.state.token), "暂扣");

  auto cancelled = issue("design");
  ASSERT_TRUE(f.run(a.code, CommandType::cancel, cancelled.state.id).ok());
  EXPECT_EQ(status_of(cancelled.state.token), "已注销");

  auto revoked = issue("supervision");
  ASSERT_TRUE(f.run(a.code, CommandType::revoke, revoked.state.id).ok());
  EXPECT_EQ(status_of(revoked.state.token), "已吊销");

  auto withdrawn = issue("survey");
  ASSERT_TRUE(f.run(a.code, CommandType::withdraw, withdrawn.state.id).ok());
  EXPECT_EQ(status_of(withdrawn.state.token), "已撤销");

  auto reissued = issue("testing_institution");
  auto r = f.run(a.code, CommandType::reissue, reissued.state.id, "lost");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(status_of(reissued.state.token), "已作废");
  EXPECT_EQ(status_of(r->state.token), "有效");
  auto old_hit = f.reader().by_token(reissued.state.token);
  auto pv = public_view(old_hit->view, old_hit->version, today);
  EXPECT_EQ(pv.superseded_by, 2u);
  EXPECT_EQ(pv.current_version, 2u);

  // Expired: a certificate issued long ago whose validity has run out.
  domain::CommandInput old = issue_command(gen, "special_operation", a);
  const Date issued = today.plus_years(-3);
  old.fields = gen.fields(*domain::find_kind("special_operation"), a, issued);
  old.type = CommandType::issue;
  // Issue "back then" with a ledger whose clock says so.
  Fixture g(true);
  g.now = issued.days_since_epoch() * 86400000LL + 3600000;
  auto out = g.ledger->execute(a.code, old);
  ASSERT_TRUE(out.ok()) << out.error().to_string();
  auto hit = g.reader().by_token(out->state.token);
  ASSERT_TRUE(hit.ok());
  EXPECT_EQ(std::string(public_status_word(public_view(hit->view, hit->version, today).status)), "已过期");
  EXPECT_EQ(std::string(public_status_word(public_view(hit->view, hit->version, issued).status)), "有效");
}

TEST(Projections, LookupsByNumberAndHolder) {
  Fixture f;
  demo::SampleGenerator gen(12);
  auto a = demo::demo_authorities()[3];
  auto r = f.ledger->execute(a.code, issue_command(gen, "safety_manager_b", a));
  ASSERT_TRUE(r.ok());
  const std::string number = r->state.fields["number"];
  const std::string id_number =
      opened_view(*f.reader().certificate(r->state.id), f.ledger->vault())->state.fields["id_number"];
  EXPECT_EQ(f.reader().by_number("safety_manager_b", number), std::vector<std::string>{r->state.id});
  EXPECT_TRUE(f.reader().by_number("safety_manager_a", number).empty());
  // A sealed person: only through the vault's keyed index, within the authority.
  EXPECT_TRUE(f.reader().by_holder(id_number).empty());
  auto ref = f.ledger->vault()->find(a.code, id_number);
  ASSERT_TRUE(ref.ok() && *ref);
  EXPECT_EQ(f.reader().by_holder(sealed_holder(**ref)), std::vector<std::string>{r->state.id});
  EXPECT_TRUE(f.reader().by_holder(sealed_holder(**ref), "", "GD-ZJT").empty());
  EXPECT_FALSE(*f.ledger->vault()->find("GD-ZJT", id_number));
  // An organisation by its 统一社会信用代码.
  auto org = f.ledger->execute(a.code, issue_command(gen, "testing_institution", a));
  ASSERT_TRUE(org.ok());
  const std::string uscc = org->state.fields["uscc"];
  EXPECT_EQ(f.reader().by_holder(uscc), std::vector<std::string>{org->state.id});
  // The stored index does not contain the number itself.
  size_t entries = 0;
  ASSERT_TRUE(f.ledger->store()
                  .scan_prefix(kCfHolders, "",
                               [&](std::string_view key, std::string_view) {
                                 ++entries;
                                 EXPECT_EQ(key.find(id_number), std::string_view::npos);
                                 return true;
                               })
                  .ok());
  EXPECT_GT(entries, 0u);
}

// The walk over every certificate view (the demo's report step uses it)
// sees each certificate once and nothing else the family holds (the
// projection's own progress key).
TEST(Projections, EachCertificateVisitsEveryViewOnce) {
  Fixture f;
  demo::SampleGenerator gen(14);
  auto a = demo::demo_authorities()[0];
  std::set<std::string> issued;
  for (const char* kind : {"testing_institution", "safety_license", "staff_training"}) {
    auto r = f.ledger->execute(a.code, issue_command(gen, kind, a));
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    issued.insert(r->state.id);
  }
  std::set<std::string> seen;
  ASSERT_TRUE(f.reader()
                  .each_certificate([&](const CertView& v) {
                    EXPECT_TRUE(seen.insert(v.state.id).second) << v.state.id;
                    return true;
                  })
                  .ok());
  EXPECT_EQ(seen, issued);
  size_t calls = 0;
  ASSERT_TRUE(f.reader().each_certificate([&](const CertView&) { return ++calls < 2; }).ok());
  EXPECT_EQ(calls, 2u);  // stops when told
}

TEST(Projections, MaskingForThePublic) {
  EXPECT_EQ(mask_person_name("王小明"), "王*明");
  EXPECT_EQ(mask_person_name("李四"), "李*");
  EXPECT_EQ(mask_person_name("欧阳娜娜"), "欧**娜");
  EXPECT_EQ(mask_id_number("11010519491231002X"), "110105********002X");
  auto kind = domain::find_kind("staff_training");
  auto pub = public_fields(
      *kind, {{"name", "王小明"}, {"id_number", "11010519491231002X"}, {"photo", "sha256:00"}, {"post", "施工员"}});
  EXPECT_EQ(pub["name"], "王*明");
  EXPECT_EQ(pub["id_number"], "110105********002X");
  EXPECT_FALSE(pub.contains("photo"));
  EXPECT_EQ(pub["post"], "施工员");
}

TEST(Projections, StatisticsAreIncremental) {
  Fixture f;
  demo::SampleGenerator gen(13);
  auto a = demo::demo_authorities()[2];
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i)
    ids.push_back(f.ledger->execute(a.code, issue_command(gen, "safety_license", a))->state.id);
  ASSERT_TRUE(f.run(a.code, CommandType::revoke, ids[0]).ok());
  ASSERT_TRUE(f.run(a.code, CommandType::suspend, ids[1]).ok());
  ASSERT_TRUE(f.run(a.code, CommandType::reinstate, ids[1]).ok());
  auto stats = f.reader().statistics(a.code);
  std::map<std::string, uint64_t> by;
  for (auto& row : stats["by_status"]) {
    EXPECT_EQ(row["region"], "350000");
    by[row["status"]] = row["count"];
  }
  EXPECT_EQ(by["active"], 4u);
  EXPECT_EQ(by["revoked"], 1u);
  EXPECT_EQ(by.count("suspended"), 0u);
  uint64_t issued = 0;
  for (auto& row : stats["by_month"])
    if (row["operation"] == "issue") issued += row["count"].get<uint64_t>();
  EXPECT_EQ(issued, 5u);
}

// Random valid and invalid commands; after each step the stored view equals
// the fold of the certificate's events, and an independent model of the
// lifecycle predicts whether the command was accepted.
TEST(Projections, PropertyProjectionEqualsFoldAndModel) {
  Fixture f;
  std::mt19937_64 rng(2026);
  demo::SampleGenerator gen(14);
  const auto auths = demo::demo_authorities();
  struct Model {
    std::string authority, kind;
    domain::CertStatus status;
  };
  std::map<std::string, Model> model;
  std::vector<std::string> ids;
  int accepted = 0, refused = 0;
  for (int step = 0; step < 400; ++step) {
    const int choice = static_cast<int>(rng() % 12);
    if (ids.empty() || choice == 0) {
      const auto& a = auths[rng() % auths.size()];
      const auto& kind = domain::all_kinds()[rng() % domain::all_kinds().size()];
      auto r = f.ledger->execute(a.code, issue_command(gen, std::string(kind.code), a));
      ASSERT_TRUE(r.ok()) << r.error().to_string();
      ids.push_back(r->state.id);
      model[r->state.id] = {a.code, std::string(kind.code), domain::CertStatus::active};
      ++accepted;
      continue;
    }
    const std::string id = ids[rng() % ids.size()];
    Model& m = model[id];
    const auto& kind = *domain::find_kind(m.kind);
    CommandType t = domain::kAllCommands[2 + rng() % (domain::kAllCommands.size() - 2)];
    domain::CommandInput c;
    c.type = t;
    c.certificate_id = id;
    c.actor = approver();
    c.reason = t == CommandType::reissue ? "lost" : "随机测试";
    if (t == CommandType::amend) {
      const auto& why = kind.amend_reasons.front();
      c.reason = std::string(why.code);
      std::string field(why.fields.front());
      c.changes = {{field, kind.field(field)->type == domain::FieldType::uscc
                               ? nlohmann::json(gen.uscc())
                               : nlohmann::json("变更" + std::to_string(step))}};
    }
    if (t == CommandType::renew || t == CommandType::review) {
      auto cur = f.reader().certificate(id)->state.valid_until();
      c.valid_until = cur ? cur->plus_days(365).to_string() : "2099-01-01";
    }
    // Half of the time, use the wrong authority: must be refused.
    std::string authority = m.authority;
    const bool wrong_authority = rng() % 8 == 0;
    if (wrong_authority)
      authority = auths[(std::find_if(auths.begin(), auths.end(), [&](auto& x) { return x.code == m.authority; }) -
                         auths.begin() + 1) %
                        auths.size()]
                      .code;
    auto r = f.ledger->execute(authority, c);
    const auto today = china_date(system_now_ms());
    const auto expect = domain::lifecycle_verdict(kind, domain::lifecycle_state(true, m.status, false), t);
    const bool should = !wrong_authority && expect == domain::Verdict::allowed;
    EXPECT_EQ(r.ok(), should) << domain::command_name(t) << " on " << domain::status_name(m.status) << " "
                              << (r.ok() ? "" : r.error().to_string());
    if (r.ok()) {
      ++accepted;
      switch (t) {
        case CommandType::suspend: m.status = domain::CertStatus::suspended; break;
        case CommandType::reinstate: m.status = domain::CertStatus::active; break;
        case CommandType::cancel: m.status = domain::CertStatus::cancelled; break;
        case CommandType::revoke: m.status = domain::CertStatus::revoked; break;
        case CommandType::withdraw: m.status = domain::CertStatus::withdrawn; break;
        default: break;
      }
    } else {
      ++refused;
    }
    auto stored = f.reader().certificate(id);
    ASSERT_TRUE(stored.ok());
    auto folded = view_at_position(*f.ledger, id, f.ledger->store().last_position());
    ASSERT_TRUE(folded.ok());
    EXPECT_EQ(encode(*stored), encode(*folded)) << "step " << step;
    EXPECT_EQ(stored->state.status, m.status);
    (void)today;
  }
  EXPECT_GT(accepted, 100);
  EXPECT_GT(refused, 50);
}

TEST(Projections, RebuildIsByteIdenticalAfterALongRandomHistory) {
  Fixture f;
  const auto auths = demo::demo_authorities();
  std::vector<std::thread> threads;
  std::atomic<int> done{0};
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(t);
      demo::SampleGenerator gen(1000 + t);
      std::vector<std::pair<std::string, std::string>> mine;  // id, authority
      for (int i = 0; i < 1200; ++i) {
        const auto& a = auths[rng() % auths.size()];
        if (mine.empty() || rng() % 2 == 0) {
          const auto& kind = domain::all_kinds()[rng() % domain::all_kinds().size()];
          auto r = f.ledger->execute(a.code, issue_command(gen, std::string(kind.code), a));
          if (r.ok()) mine.emplace_back(r->state.id, a.code);
        } else {
          auto& [id, code] = mine[rng() % mine.size()];
          CommandType ts[] = {CommandType::reissue, CommandType::suspend,  CommandType::reinstate, CommandType::cancel,
                              CommandType::revoke,  CommandType::withdraw, CommandType::renew};
          domain::CommandInput c;
          c.type = ts[rng() % 7];
          c.certificate_id = id;
          c.reason = c.type == CommandType::reissue ? "damaged" : "随机";
          c.valid_until = china_date(system_now_ms()).plus_years(2).to_string();
          c.actor = approver();
          (void)f.ledger->execute(code, c);  // refusals are part of a random history
        }
        ++done;
      }
    });
  for (auto& th : threads) th.join();
  ASSERT_GT(f.ledger->store().last_position(), 6000u);
  auto before = f.dump();
  ASSERT_GT(before[kCfCerts].size(), 3000u);  // thousands of certificates
  std::vector<Projection*> ps;
  for (auto& p : f.projections) ps.push_back(p.get());
  f.ledger->sequencer()->stop();
  // One stage, then many small ones: each written while the next fills and
  // reads through it (a certificate's later events find its view there).
  for (size_t stage_bytes : {kReplayStageBytes, size_t{256} << 10}) {
    auto st = rebuild(f.ledger->store(), ps, {}, stage_bytes);
    ASSERT_TRUE(st.ok()) << st.error().to_string() << ", stages of " << stage_bytes;
    auto after = f.dump();
    for (auto& [cf, rows] : before) {
      ASSERT_EQ(rows.size(), after[cf].size()) << cf << ", stages of " << stage_bytes;
      EXPECT_TRUE(rows == after[cf]) << cf << ", stages of " << stage_bytes;
    }
  }
  // A lagging projection catches up to the same bytes.
  ASSERT_TRUE(f.ledger->store().reset_column_family(kCfStats).ok());
  ASSERT_TRUE(catch_up(f.ledger->store(), ps, {}, 4 << 10).ok());
  EXPECT_TRUE(f.dump()[kCfStats] == before[kCfStats]);
}

TEST(Projections, PointInTimeByPositionAndDate) {
  Fixture f(true);
  demo::SampleGenerator gen(15);
  auto a = demo::demo_authorities()[0];
  f.now = Date{2024, 3, 1}.days_since_epoch() * 86400000LL + 3600000;
  auto cmd = issue_command(gen, "construction_enterprise", a);
  cmd.fields = gen.fields(*domain::find_kind("construction_enterprise"), a, Date{2024, 2, 20});
  auto r = f.ledger->execute(a.code, cmd);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  f.now = Date{2024, 6, 1}.days_since_epoch() * 86400000LL + 3600000;
  ASSERT_TRUE(f.run(a.code, CommandType::revoke, r->state.id).ok());
  auto on_march = view_at_date(*f.ledger, r->state.id, Date{2024, 3, 1});
  ASSERT_TRUE(on_march.ok());
  EXPECT_EQ(on_march->state.status, domain::CertStatus::active);
  auto on_june = view_at_date(*f.ledger, r->state.id, Date{2024, 6, 2});
  EXPECT_EQ(on_june->state.status, domain::CertStatus::revoked);
  EXPECT_FALSE(view_at_date(*f.ledger, r->state.id, Date{2024, 2, 1}).ok());
  auto at_pos = view_at_position(*f.ledger, r->state.id, r->record.position);
  EXPECT_EQ(at_pos->state.status, domain::CertStatus::active);
}

}  // namespace
}  // namespace certledger::projections
