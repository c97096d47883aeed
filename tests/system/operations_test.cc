// Operations: stock conversion from the sample files, backup under load then
// restore and audit, re-verification of an export with only the published
// key, and an outside audit from the Kafka topics alone.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "tests/wait.h"
#include "ops/demo/samples.h"
#include "ledger/stream/relay.h"
#include "ops/common/backup.h"
#include "ops/common/import.h"
#include "ops/common/kafka_audit.h"
#include "ops/common/kafka_setup.h"
#include "ops/common/personal.h"
#include "ops/common/setup.h"
#include "ledger/merkle/checkpoint.h"
#include "ledger/util/encoding.h"
#include "ledger/merkle/cosignature.h"
#include "projections/state_map.h"

namespace certledger {
namespace {

namespace fs = std::filesystem;

fs::path temp(const std::string& n) {
  auto p = fs::temp_directory_path() / ("certledger-ops-" + n + "-" + std::to_string(::getpid()));
  fs::remove_all(p);
  return p;
}

std::string sh(const std::string& cmd, int* rc = nullptr) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int st = ::pclose(p);
  if (rc) *rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

std::string bin(const std::string& name) { return (fs::read_symlink("/proc/self/exe").parent_path() / name).string(); }

// The checkout (not __FILE__: ccache may compile with paths relative to it).
std::string source_dir() { return CERTLEDGER_SOURCE_DIR; }

ops::OpenLedger open(const fs::path& dir) {
  ops::OpenOptions o;
  o.data_dir = dir.string();
  o.create = true;
  o.policy.checkpoint_every = 25;
  o.policy.checkpoint_interval_ms = 200;
  auto l = ops::open_data_dir(o);
  EXPECT_TRUE(l.ok()) << (l.ok() ? "" : l.error().to_string());
  return std::move(*l);
}

void authorities(Ledger& l) {
  for (const auto& a : demo::demo_authorities())
    if (!l.authority(a.code)) {
      ASSERT_TRUE(l.register_authority(a, crypto::KeyAlg::ed25519, "ops").ok());
      ASSERT_TRUE(l.put_blob(a.code, demo::SampleGenerator::sample_photo_png(0)).ok());
    }
}

TEST(Operations, ImportSampleFilesRejectsBadRowsAndReRunsAppendNothing) {
  auto samples = temp("samples"), dir = temp("import");
  int rc = 0;
  sh("python3 " + source_dir() + "/ops/samples/generate.py " + samples.string(), &rc);
  ASSERT_EQ(rc, 0);
  auto l = open(dir);
  authorities(*l.ledger);
  auto authority_of = [](const std::string& kind) {
    if (kind == "testing_institution") return "GD-ZJT";
    if (kind == "safety_license") return "FJ-ZJT";
    if (domain::find_kind(kind)->holder == domain::HolderType::person) return "JS-ZJT";
    return "LN-ZJT";
  };
  size_t converted = 0;
  for (const auto& k : domain::all_kinds()) {
    std::string kind(k.code);
    fs::path f = samples / (kind + (k.holder == domain::HolderType::person ? ".jsonl" : ".csv"));
    ASSERT_TRUE(fs::exists(f)) << f;
    auto rep =
        ops::import_file(*l.ledger, f.string(), {authority_of(kind), "importer", domain::Role::reviewer, kind, {}});
    ASSERT_TRUE(rep.ok()) << rep.error().to_string();
    EXPECT_EQ(rep->rejected, 0u) << kind << ": " << rep->to_json().dump();
    EXPECT_EQ(rep->converted, 4u) << kind;
    converted += rep->converted;
  }
  EXPECT_EQ(converted, 44u);
  const uint64_t last = l.ledger->store().last_position();
  // Again: nothing appended.
  auto again = ops::import_file(*l.ledger, (samples / "design.csv").string(),
                                {"LN-ZJT", "importer", domain::Role::reviewer, "design", {}});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->skipped, 4u);
  EXPECT_EQ(again->converted, 0u);
  EXPECT_EQ(l.ledger->store().last_position(), last);

  // Bad rows: reported with their line numbers, good rows still converted.
  std::ifstream good(samples / "survey.csv");
  std::string header, row1, row2;
  std::getline(good, header);
  std::getline(good, row1);
  std::getline(good, row2);
  auto mangle = [](std::string row, const std::string& from, const std::string& to) {
    return row.replace(row.find(from), from.size(), to);
  };
  fs::path bad = samples / "bad.csv";
  std::ofstream(bad)
      << header << "\n"
      << mangle(row1, "\"B", "\"X") << "\n"        // line 2: number format
      << "\"only\",\"three\",\"cells\"\n"          // line 3: cell count
      << mangle(row2, "\"B221", "\"B229") << "\n"  // line 4: a good new row
      << "\"B221000017\",\"沈阳某勘察院\",\"91210100MA0XYZ1234\",\"王五\",\"沈阳\",\"\","
         "\"工程勘察专业类岩土工程乙级\",\"2015-01-01\",\"2020-01-01\",\"2015-01-01\"\n";  // line 5: expired paper / bad USCC
  auto rep = ops::import_file(*l.ledger, bad.string(), {"LN-ZJT", "importer", domain::Role::reviewer, "survey", {}});
  ASSERT_TRUE(rep.ok());
  EXPECT_EQ(rep->rejected, 3u) << rep->to_json().dump();
  EXPECT_EQ(rep->converted, 1u) << rep->to_json().dump();
  ASSERT_EQ(rep->errors.size(), 3u);
  EXPECT_EQ(rep->errors[0].first, 2u);
  EXPECT_NE(rep->errors[0].second.find("number"), std::string::npos);
  EXPECT_EQ(rep->errors[1].first, 3u);
  EXPECT_EQ(rep->errors[2].first, 5u);
  EXPECT_EQ(l.ledger->store().last_position(), last + 1);
  l.ledger.reset();
  fs::remove_all(dir);
  fs::remove_all(samples);
}

TEST(Operations, BackupUnderLoadRestoresAndAudits) {
  auto dir = temp("live"), backup = temp("backup"), restored = temp("restored");
  auto l = open(dir);
  authorities(*l.ledger);
  std::atomic<bool> stop{false};
  std::atomic<int> writes{0};
  std::vector<std::thread> load;
  for (int t = 0; t < 4; ++t)
    load.emplace_back([&, t] {
      demo::SampleGenerator gen(t + 50);
      const auto a = demo::demo_authorities()[t % 4];
      while (!stop) {
        domain::CommandInput c;
        c.type = domain::CommandType::issue;
        const auto& kind = domain::all_kinds()[static_cast<size_t>(writes.load()) % domain::all_kinds().size()];
        c.kind = std::string(kind.code);
        c.fields = gen.fields(kind, a, china_date(system_now_ms()).plus_days(-3));
        c.actor = {"t", domain::Role::approver, {}};
        if (l.ledger->execute(a.code, c).ok()) ++writes;
      }
    });
  ASSERT_TRUE(certledger::testing::wait_until([&] { return writes.load() > 20; }, std::chrono::seconds(60)));
  auto b = ops::backup_data_dir(*l.ledger, dir.string(), backup.string());  // while writes go on
  const int at_backup_end = writes.load();
  EXPECT_TRUE(
      certledger::testing::wait_until([&] { return writes.load() > at_backup_end + 5; }, std::chrono::seconds(60)));
  stop = true;
  for (auto& t : load) t.join();
  ASSERT_TRUE(b.ok()) << b.error().to_string();
  EXPECT_GT(writes.load(), 20);
  auto audit = ops::restore_data_dir(backup.string(), restored.string());
  ASSERT_TRUE(audit.ok()) << audit.error().to_string();
  EXPECT_GE(audit->events, (*b)["last_position_at_start"].get<uint64_t>());
  EXPECT_LT(audit->events, l.ledger->store().last_position()) << "the backup is a point in time while writes went on";
  // The restored dir opens and keeps working: its keys came along.
  l.ledger.reset();
  auto r = open(restored);
  demo::SampleGenerator gen(99);
  auto a = demo::demo_authorities()[0];
  domain::CommandInput c;
  c.type = domain::CommandType::issue;
  c.kind = "design";
  c.fields = gen.fields(*domain::find_kind("design"), a, china_date(system_now_ms()).plus_days(-3));
  c.actor = {"t", domain::Role::approver, {}};
  EXPECT_TRUE(r.ledger->execute(a.code, c).ok());
  EXPECT_FALSE(ops::restore_data_dir(backup.string(), restored.string()).ok()) << "restore must refuse a non-empty dir";
  r.ledger.reset();
  for (auto& d : {dir, backup, restored}) fs::remove_all(d);
}

TEST(Operations, AnExportIsReverifiedWithOnlyThePublishedKey) {
  auto dir = temp("export");
  {
    auto l = open(dir);
    auto lines = ops::run_demo(*l.ledger, "https://v.example", 5);
    ASSERT_TRUE(lines.ok());
  }
  const std::string ctl = bin("ledgerctl"), d = dir.string();
  int rc = 0;
  sh(ctl + " trust --data " + d + " > " + d + "/trust.json", &rc);
  ASSERT_EQ(rc, 0);
  sh(ctl + " export --data " + d + " > " + d + "/export.jsonl", &rc);
  ASSERT_EQ(rc, 0);
  sh(ctl + " export --data " + d + " --checkpoints > " + d + "/checkpoints.jsonl", &rc);
  ASSERT_EQ(rc, 0);
  std::string out = sh(ctl + " audit --json --export " + d + "/export.jsonl --checkpoints " + d +
                           "/checkpoints.jsonl --trust " + d + "/trust.json",
                       &rc);
  EXPECT_EQ(rc, 0) << out;
  auto j = nlohmann::json::parse(out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out;
  EXPECT_TRUE(j["ok"].get<bool>());
  EXPECT_GT(j["checkpoints"].get<int>(), 0);
  EXPECT_GT(j["map_roots"].get<int>(), 0) << "the state map roots are recomputed from the export";
  // Drop one line: the audit names the gap.
  sh("sed -i '20d' " + d + "/export.jsonl");
  out = sh(ctl + " audit --export " + d + "/export.jsonl --trust " + d + "/trust.json", &rc);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("position 20"), std::string::npos) << out;
  fs::remove_all(dir);
}

// A data dir from before the state map (its family empty) gets the map at
// open: the certificates projection is rebuilt, and the root is the one the
// live ledger had.
TEST(Operations, ADataDirWithoutTheStateMapGetsItAtOpen) {
  auto dir = temp("no-state-map");
  Hash256 live{};
  uint64_t last = 0;
  {
    auto l = open(dir);
    ASSERT_TRUE(ops::run_demo(*l.ledger, "https://v.example", 5).ok());
    last = l.ledger->store().last_position();
    l.ledger->sequencer()->stop();
    auto root = projections::map_root_at(l.ledger->store(), last);
    ASSERT_TRUE(root);
    live = *root;
    ASSERT_TRUE(l.ledger->store().reset_column_family(projections::kCfStateMap).ok());
    ASSERT_FALSE(projections::map_root_at(l.ledger->store(), last));
  }
  auto again = open(dir);
  auto root = projections::map_root_at(again.ledger->store(), last);
  ASSERT_TRUE(root) << "the map was not rebuilt at open";
  EXPECT_EQ(*root, live);
  auto audited = projections::audit_state_map(again.ledger->store());
  ASSERT_TRUE(audited.ok()) << audited.error().message;
  EXPECT_GT(*audited, 0u);
  again.ledger.reset();
  fs::remove_all(dir);
}

TEST(Operations, OutsideAuditFromKafkaAloneIncludingTheStatusTopic) {
  auto c = stream::EmbeddedCluster::start(3);
  ASSERT_TRUE(c.ok());
  for (auto [t, n] :
       {std::pair{"certledger.events", 6}, std::pair{"certledger.status", 6}, std::pair{"certledger.checkpoints", 1}})
    ASSERT_TRUE((*c)->create_topic(t, n).ok());
  auto dir = temp("kafka-audit");
  auto l = open(dir);
  stream::RelayOptions ro;
  ro.kafka.bootstrap = (*c)->bootstrap();
  ro.origin = l.ledger->origin();
  ops::use_status_feed(ro, *l.ledger);
  auto relay = stream::Relay::start(l.ledger->store(), ro);
  ASSERT_TRUE(relay.ok());
  auto lines = ops::run_demo(*l.ledger, "https://v.example", 3);
  ASSERT_TRUE(lines.ok());
  ASSERT_TRUE(l.ledger->sequencer()->checkpoint_now().ok());
  ASSERT_TRUE((*relay)->wait_for(l.ledger->store().last_position(), std::chrono::seconds(60)));
  certledger::testing::wait_until(
      [&] { return (*relay)->stats().checkpoint_cursor >= l.ledger->store().last_position(); },
      std::chrono::seconds(5));
  const std::string d = dir.string();
  const std::string trust = ops::trust_document(*l.ledger).dump();
  std::ofstream(dir / "trust.json") << trust;
  auto logs = ops::read_trust_file((dir / "trust.json").string());
  ASSERT_TRUE(logs.ok());
  auto result = ops::audit_kafka(ro.kafka, logs->front().origin, logs->front().key);
  ASSERT_TRUE(result.ok()) << result.error().to_string();
  EXPECT_EQ((*result)["events"].get<uint64_t>(), l.ledger->store().last_position());
  EXPECT_GT((*result)["certificates"].get<uint64_t>(), 40u);
  EXPECT_GT((*result)["checkpoints"].get<uint64_t>(), 0u);
  EXPECT_GT((*result)["map_roots"].get<uint64_t>(), 0u) << "the state map roots are recomputed from the topic";
  // The same through the command line.
  int rc = 0;
  std::string out =
      sh(bin("ledgerctl") + " audit --json --kafka '" + (*c)->bootstrap() + "' --trust " + d + "/trust.json", &rc);
  EXPECT_EQ(rc, 0) << out;
  // A stranger's key is refused.
  auto other = crypto::PrivateKey::generate(crypto::KeyAlg::ed25519);
  EXPECT_FALSE(ops::audit_kafka(ro.kafka, logs->front().origin, other->public_key()).ok());
  (*relay)->stop();
  l.ledger.reset();
  fs::remove_all(dir);
}

// The trust file's forms: a log alone; with witnesses and a quorum; with a
// C2SP tlog-policy; a tlog-policy file; a federation's names and brokers.
// The keys topic as a replica reads it: the primary's publisher wraps a
// holder's key for each entitled consumer; the consumer named in it imports
// the key, another name gets nothing, and malformed messages are refused
// with an error (never a throw), importing nothing.
TEST(PersonalData, AReplicaImportsOnlyWellFormedKeysAddressedToIt) {
  auto pdir = temp("keys-primary"), rdir = temp("keys-replica");
  auto primary = open(pdir);
  authorities(*primary.ledger);
  auto replica = open(rdir);
  auto a = demo::demo_authorities()[0];
  demo::SampleGenerator gen(5);
  auto c = demo::sample_issue(gen, *domain::find_kind("special_operation"), a, china_date(system_now_ms()), "ops");
  auto r = primary.ledger->execute(a.code, c);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  const std::string holder = r->record.event.data["personal"]["holder"];
  auto key = primary.ledger->vault()->key(holder);
  ASSERT_TRUE(key.ok() && *key);

  nlohmann::json entry = {{"name", "archive"},
                          {"x25519", base64url_encode(replica.ledger->vault()->public_key())},
                          {"authorities", nlohmann::json::array({a.code})}};
  const std::string recipients_json = nlohmann::json::array({entry}).dump();
  auto recipients = ops::parse_recipients(recipients_json, "test");
  ASSERT_TRUE(recipients.ok()) << recipients.error().message;
  ops::HolderKeyPublisher publisher(*primary.ledger, *recipients);
  auto value = publisher.message_value(**key);
  ASSERT_TRUE(value.ok() && *value);

  auto& rl = *replica.ledger;
  EXPECT_TRUE(ops::receive_key(rl, "someone-else", holder, **value).ok());
  EXPECT_FALSE(*rl.vault()->key(holder));  // not addressed to it: nothing imported
  const auto msg = nlohmann::json::parse(**value);
  auto with = [&](const char* member, nlohmann::json v) {
    auto m = msg;
    m[member] = std::move(v);
    return m;
  };
  for (const auto& bad : {with("authority", 7), with("enc", nullptr), with("holder", "AAAAAAAAAAAAAAAAAAAAAA"),
                          with("recipients", "x"), with("enc", "A128GCM")}) {
    auto st = ops::receive_key(rl, "archive", holder, bad.dump());
    EXPECT_FALSE(st.ok()) << bad.dump();
    EXPECT_FALSE(*rl.vault()->key(holder));
  }
  EXPECT_FALSE(ops::receive_key(rl, "archive", holder, std::string(100, '[') + std::string(100, ']')).ok());
  EXPECT_FALSE(ops::receive_key(rl, "archive", "short", **value).ok());  // not a holder reference
  EXPECT_FALSE(ops::parse_recipients("[{\"name\":\"x\",\"x25519\":\"AAAA\"}]", "test").ok());
  EXPECT_FALSE(ops::parse_recipients(std::string(64, '[') + std::string(64, ']'), "test").ok());

  ASSERT_TRUE(ops::receive_key(rl, "archive", holder, **value).ok());
  auto got = rl.vault()->key(holder);
  ASSERT_TRUE(got.ok() && *got);
  EXPECT_EQ((*got)->key, (*key)->key);
  EXPECT_EQ((*got)->authority, a.code);
  // A tombstone destroys the copy.
  ASSERT_TRUE(ops::receive_key(rl, "archive", holder, std::nullopt).ok());
  EXPECT_FALSE(*rl.vault()->key(holder));
  fs::remove_all(pdir);
  fs::remove_all(rdir);
}

TEST(TrustFile, WitnessesQuorumsPoliciesAndWhereEachLogIs) {
  auto key = [] { return crypto::PrivateKey::generate(crypto::KeyAlg::ed25519)->public_key(); };
  const auto la = key(), lb = key(), w1 = key(), w2 = key();
  const std::string va = merkle::note_verifier_key("a.example/log", la);
  const std::string vb = merkle::note_verifier_key("b.example/log", lb);
  const std::string k1 = merkle::cosigner_verifier_key("w1.example", w1);
  const std::string k2 = merkle::cosigner_verifier_key("w2.example", w2);
  auto entry = [&](const std::string& extra) {
    return R"({"logs": [{"origin": "a.example/log", "log_key": ")" + va + "\"" + extra + "}]}";
  };
  const std::string ws =
      R"(, "witnesses": [{"key": ")" + k1 + R"("}, {"name": "second", "key": ")" + k2 + R"(", "url": "http://w2"}])";

  auto plain = ops::parse_trust_document(entry(""), "t");
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ((*plain)[0].name, "a.example-log");
  EXPECT_EQ((*plain)[0].quorum(), nullptr);
  EXPECT_TRUE((*plain)[0].kafka_bootstrap.empty());

  auto one = ops::parse_trust_document(entry(ws + R"(, "quorum": 1)"), "t");
  ASSERT_TRUE(one.ok()) << one.error().message;
  ASSERT_NE((*one)[0].quorum(), nullptr);
  EXPECT_EQ((*one)[0].quorum()->describe(), "1 of w1.example, second");
  EXPECT_EQ((*one)[0].quorum()->witnesses()[1].url, "http://w2");
  auto all = ops::parse_trust_document(entry(ws), "t");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ((*all)[0].quorum()->describe(), "2 of w1.example, second") << "witnesses without a quorum: all of them";
  auto none = ops::parse_trust_document(entry(ws + R"(, "quorum": "none")"), "t");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ((*none)[0].quorum(), nullptr);

  const std::string policy = "witness x " + k1 + "\\nwitness y " + k2 + "\\ngroup g any x y\\nquorum g\\n";
  auto with_policy = ops::parse_trust_document(entry(R"(, "policy": ")" + policy + "\""), "t");
  ASSERT_TRUE(with_policy.ok()) << with_policy.error().message;
  EXPECT_EQ((*with_policy)[0].quorum()->describe(), "1 of x, y");

  auto fed = ops::parse_trust_document(
      R"({"logs": [{"origin": "a.example/log", "log_key": ")" + va +
          R"(", "name": "gd", "kafka": {"bootstrap": "k1:9092", "prefix": "gd"}}, {"origin": "b.example/log", "log_key": ")" +
          vb + R"(", "name": "ln", "kafka": {"bootstrap": "k2:9092"}}]})",
      "t");
  ASSERT_TRUE(fed.ok()) << fed.error().message;
  EXPECT_EQ((*fed)[0].name, "gd");
  EXPECT_EQ((*fed)[0].kafka_bootstrap, "k1:9092");
  EXPECT_EQ((*fed)[0].kafka_prefix, "gd");
  EXPECT_EQ((*fed)[1].kafka_prefix, "");

  // A C2SP tlog-policy file: every log shares its quorum.
  auto file = ops::parse_trust_document(
      "# two provinces\nlog " + va + "\nlog " + vb + "\nwitness x " + k1 + "\nquorum x\n", "t");
  ASSERT_TRUE(file.ok()) << file.error().message;
  ASSERT_EQ(file->size(), 2u);
  EXPECT_EQ((*file)[1].origin, "b.example/log");
  EXPECT_EQ((*file)[1].quorum()->describe(), "the witness x");

  struct Bad {
    std::string text, says;
  };
  for (const Bad& b : std::vector<Bad>{
           {entry(ws + R"(, "quorum": 3)"), "quorum must be 1..2"},
           {entry(R"(, "quorum": 1)"), "quorum must be 1..0"},
           {entry(R"(, "witnesses": [{"key": ")" + va + R"("}])"), "witness key"},
           {entry(R"(, "policy": "log )" + vb + R"(\nquorum none\n")"), "names another key"},
           {entry(R"(, "policy": "quorum none\n", "quorum": 1)"), "either policy or witnesses"},
           {entry(R"(, "name": "a/b")"), "name must be"},
           {entry(R"(, "kafka": {"prefix": "x"})"), "kafka must be"},
           {R"({"logs": [{"origin": "a.example/log", "log_key": ")" + va +
                R"("}, {"origin": "a.example/log", "log_key": ")" + va + R"("}]})",
            "listed twice"},
           {R"({"logs": [{"origin": "a.example/log", "log_key": ")" + va +
                R"(", "name": "x"}, {"origin": "b.example/log", "log_key": ")" + vb + R"(", "name": "x"}]})",
            "the name x is taken"},
           {"log " + va + "\n", "no quorum line"},
           {"quorum none\n", "names no log"},
       }) {
    auto r = ops::parse_trust_document(b.text, "t");
    ASSERT_FALSE(r.ok()) << b.text;
    EXPECT_NE(r.error().message.find(b.says), std::string::npos) << r.error().message << " / wanted: " << b.says;
  }
}

}  // namespace
}  // namespace certledger
