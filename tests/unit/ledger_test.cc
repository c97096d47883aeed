#include "ledger/ledger.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mutex>
#include <set>
#include <thread>

#include "ledger/audit.h"
#include "ledger/crypto/jws.h"
#include "ledger/domain/validate.h"
#include "ledger/merkle/checkpoint.h"
#include "ledger/store/keys.h"
#include "ledger/util/encoding.h"
#include "tests/unit/ledger_helpers.h"
#include "ledger/store/raw.h"

namespace certledger {
namespace {

using namespace certledger::testing;
using domain::CommandType;

TEST(Ledger, InitialisesAndRegistersAuthorities) {
  TempDir dir;
  auto l = open_ledger(dir.str());
  ASSERT_TRUE(l);
  EXPECT_EQ(l->store().last_position(), 1u);
  EXPECT_EQ(l->origin(), "certledger.test/log");
  register_demo_authorities(*l);
  EXPECT_EQ(l->authorities().size(), 4u);
  EXPECT_EQ(l->store().last_position(), 9u);  // 1 + 4 x (registered + key_added)
  auto jwks = l->jwks();
  ASSERT_EQ(jwks["keys"].size(), 5u);
  std::set<std::string> algs;
  for (auto& k : jwks["keys"]) algs.insert(k["alg"].get<std::string>());
  EXPECT_EQ(algs, (std::set<std::string>{"EdDSA", "ES256", "SM2-SM3"}));
  auto again = l->register_authority(demo::demo_authorities()[0], crypto::KeyAlg::ed25519, "a");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::already_exists);
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "keys" / "GD-ZJT" / "k1.pem"));
}

// A photo that would not render is refused at intake with the reason, and
// nothing is stored; a good one is stored under its SHA-256.
TEST(Ledger, RefusesPhotosThatWouldNotRender) {
  TempDir dir;
  auto l = open_ledger(dir.str());
  ASSERT_TRUE(l);
  register_demo_authorities(*l);
  const std::string png = demo::SampleGenerator::sample_photo_png(3);
  auto refused = [&](const std::string& bytes, const std::string& reason) {
    auto r = l->put_blob("GD-ZJT", bytes);
    ASSERT_FALSE(r.ok()) << reason;
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
    EXPECT_EQ(r.error().field, "photo");
    EXPECT_NE(r.error().message.find(reason), std::string::npos) << r.error().message;
    EXPECT_FALSE(l->blob(domain::photo_reference(bytes)).has_value()) << "nothing stored";
  };
  std::string damaged = png;
  damaged[damaged.size() / 2] ^= 0x40;  // inside IDAT: its CRC no longer matches
  refused(damaged, "CRC mismatch");
  refused(png.substr(0, png.size() - 12), "no IEND");
  refused(png.substr(0, png.size() / 2), "cut short");
  refused("\xff\xd8\xff\xe0 a JPEG that stops here", "does not decode");
  refused(std::string("\xff\xd8\xff\xe0 random bytes between the markers \xff\xd9"), "does not decode");
  refused("GIF89a", "not a JPEG or PNG");
  refused("", "1 byte to 2 MiB");

  auto ok = l->put_blob("GD-ZJT", png);
  ASSERT_TRUE(ok.ok()) << ok.error().to_string();
  EXPECT_EQ(*ok, domain::photo_reference(png));
  EXPECT_EQ(l->blob(*ok), png);
  const std::string jpeg = demo::SampleGenerator::sample_photo_jpeg(2);
  auto jpeg_ok = l->put_blob("GD-ZJT", jpeg);
  ASSERT_TRUE(jpeg_ok.ok()) << jpeg_ok.error().to_string();
  EXPECT_FALSE(l->put_blob("NO-SUCH", png).ok()) << "a blob belongs to an authority that exists";
}

TEST(Ledger, ExecutesTheLifecycleAndSurvivesReopen) {
  TempDir dir;
  std::string id;
  {
    auto l = open_ledger(dir.str());
    register_demo_authorities(*l);
    demo::SampleGenerator gen(1);
    auto a = demo::demo_authorities()[1];  // Liaoning, SM2 keys
    auto out = l->execute(a.code, issue_command(gen, "construction_enterprise", a));
    ASSERT_TRUE(out.ok()) << out.error().to_string();
    id = out->state.id;
    EXPECT_EQ(out->record.position, 10u);
    EXPECT_EQ(out->record.event.seq, 1u);
    EXPECT_EQ(out->state.doc_version, 1u);
    EXPECT_EQ(crypto::jws_parse(out->record.bytes)->alg, "SM2-SM3");

    domain::CommandInput reissue;
    reissue.type = CommandType::reissue;
    reissue.certificate_id = id;
    reissue.reason = "lost";
    reissue.actor = approver();
    auto r2 = l->execute(a.code, reissue);
    ASSERT_TRUE(r2.ok()) << r2.error().to_string();
    EXPECT_EQ(r2->state.doc_version, 2u);
    EXPECT_NE(r2->state.token, out->state.token);
  }
  auto l = open_ledger(dir.str());
  ASSERT_TRUE(l);
  auto s = l->load(id);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->stream_version, 2u);
  EXPECT_EQ(s->doc_version, 2u);
  auto old = l->load(id, 10);
  EXPECT_EQ(old->doc_version, 1u);  // point in time
  domain::CommandInput cancel;
  cancel.type = CommandType::cancel;
  cancel.certificate_id = id;
  cancel.reason = "企业申请注销";
  cancel.actor = approver();
  auto r3 = l->execute("LN-ZJT", cancel);
  ASSERT_TRUE(r3.ok()) << r3.error().to_string();
  EXPECT_EQ(r3->state.status, domain::CertStatus::cancelled);
  auto audit = audit_store(l->store());
  ASSERT_TRUE(audit.ok()) << audit.error().message;
  EXPECT_EQ(audit->events, 12u);
  EXPECT_EQ(audit->certificates, 1u);
}

TEST(Ledger, IdempotencyKeysRepeatTheFirstAnswer) {
  TempDir dir;
  auto l = open_ledger(dir.str());
  register_demo_authorities(*l);
  demo::SampleGenerator gen(2);
  auto a = demo::demo_authorities()[0];
  auto cmd = issue_command(gen, "design", a);
  ExecOptions o;
  o.idempotency_key = "req-0001";
  auto first = l->execute(a.code, cmd, o);
  ASSERT_TRUE(first.ok());
  const uint64_t last = l->store().last_position();
  auto second = l->execute(a.code, cmd, o);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->replayed);
  EXPECT_EQ(second->record.position, first->record.position);
  EXPECT_EQ(second->record.bytes, first->record.bytes);
  EXPECT_EQ(second->state.id, first->state.id);
  EXPECT_EQ(l->store().last_position(), last);

  cmd.fields["holder_name"] = "另一家公司";
  auto third = l->execute(a.code, cmd, o);
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error().code, Errc::conflict);
  EXPECT_EQ(third.error().field, "Idempotency-Key");
  EXPECT_EQ(third.error().detail, Detail::idempotency_key_reused);
  EXPECT_EQ(l->store().last_position(), last);
}

TEST(Ledger, IfMatchAndUniqueNumbersWriteNothingOnFailure) {
  TempDir dir;
  auto l = open_ledger(dir.str());
  register_demo_authorities(*l);
  demo::SampleGenerator gen(3);
  auto a = demo::demo_authorities()[2];  // Fujian, ES256
  auto cmd = issue_command(gen, "safety_license", a);
  auto first = l->execute(a.code, cmd);
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  const uint64_t last = l->store().last_position();

  auto dup = l->execute(a.code, cmd);  // same 编号, new certificate id
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, Errc::already_exists);
  EXPECT_EQ(dup.error().detail, Detail::claim_taken);
  EXPECT_FALSE(dup.error().subject.empty());
  EXPECT_NE(dup.error().message.find(first->state.id), std::string::npos);

  domain::CommandInput suspend;
  suspend.type = CommandType::suspend;
  suspend.certificate_id = first->state.id;
  suspend.reason = "安全事故";
  suspend.actor = approver();
  ExecOptions o;
  o.expected_version = 5;
  auto r = l->execute(a.code, suspend, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::precondition_failed);
  EXPECT_EQ(l->store().last_position(), last);
  o.expected_version = 1;
  ASSERT_TRUE(l->execute(a.code, suspend, o).ok());

  // Another authority may not touch it.
  domain::CommandInput reinstate;
  reinstate.type = CommandType::reinstate;
  reinstate.certificate_id = first->state.id;
  reinstate.actor = approver();
  auto wrong = l->execute("GD-ZJT", reinstate);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, Errc::forbidden);
}

// A store another process holds (ledgerd runs) is refused with a typed
// detail callers act on (ledgerctl then points to the online backup),
// before RocksDB is asked.
TEST(EventStore, AStoreHeldByAnotherProcessIsRefusedAsLocked) {
  TempDir dir;
  store::StoreOptions options;
  options.path = (dir.path() / "db").string();
  const std::string path = options.path;
  { ASSERT_TRUE(store::EventStore::open(options).ok()); }
  int ready[2], release[2];
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(release), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {  // holds the lock as RocksDB does, until told to stop
    const int fd = ::open((path + "/LOCK").c_str(), O_RDWR);
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    char c = fd >= 0 && ::fcntl(fd, F_SETLK, &fl) == 0 ? 'y' : 'n';
    (void)!::write(ready[1], &c, 1);
    (void)!::read(release[0], &c, 1);
    _exit(0);
  }
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ASSERT_EQ(c, 'y');
  auto held = store::EventStore::open(options);
  (void)!::write(release[1], "x", 1);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_FALSE(held.ok());
  EXPECT_EQ(held.error().code, Errc::unavailable);
  EXPECT_EQ(held.error().detail, Detail::locked);
  EXPECT_NE(held.error().message.find(std::to_string(child)), std::string::npos) << held.error().message;
  EXPECT_TRUE(store::EventStore::open(options).ok());  // free again once the holder is gone
}

// ledgerctl opens the store read-only while ledgerd writes. An erasure
// flushes and compacts, deleting files a read-only open may be about to
// read (the MANIFEST it read names them): the open tries again instead of
// reporting corruption (a CI run saw exactly that).
TEST(EventStore, ReadOnlyOpensSucceedWhileTheWriterCompactsAway) {
  TempDir dir;
  store::StoreOptions options;
  options.path = (dir.path() / "db").string();
  auto writer = store::EventStore::open(options);
  ASSERT_TRUE(writer.ok());
  std::atomic<bool> stop{false};
  std::atomic<int> rounds{0};
  std::thread churn([&] {
    for (int i = 0; !stop; ++i) {
      const std::string k = "k" + std::to_string(i);
      if (!(*writer)->vault_put(k, std::string(100, 'v')).ok() || !(*writer)->vault_erase({k}).ok()) return;
      ++rounds;
    }
  });
  store::StoreOptions ro = options;
  ro.read_only = true;
  int opened = 0;
  std::string failure;
  for (int i = 0; i < 60 && failure.empty(); ++i) {
    auto r = store::EventStore::open(ro);
    if (r.ok()) ++opened;
    else failure = r.error().message;
  }
  stop = true;
  churn.join();
  EXPECT_EQ(failure, "");
  EXPECT_EQ(opened, 60);
  EXPECT_GT(rounds.load(), 5);  // the writer really deleted files meanwhile
}

TEST(Ledger, ConcurrentSubmittersGetDensePositionsAndRaceOnOneCertificate) {
  TempDir dir;
  auto l = open_ledger(dir.str());
  register_demo_authorities(*l);
  auto auths = demo::demo_authorities();
  demo::SampleGenerator gen0(4);
  auto shared = l->execute(auths[3].code, issue_command(gen0, "special_operation", auths[3]));
  ASSERT_TRUE(shared.ok());
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      demo::SampleGenerator gen(100 + t);
      for (int i = 0; i < 25; ++i) {
        auto& a = auths[(t + i) % 4];
        const auto& kind = domain::all_kinds()[(t * 25 + i) % domain::all_kinds().size()];
        auto r = l->execute(a.code, issue_command(gen, std::string(kind.code), a));
        (r.ok() ? ok : failed)++;
        if (!r.ok()) ADD_FAILURE() << r.error().to_string();
        // Everyone also reissues the shared certificate: a race on one stream.
        domain::CommandInput re;
        re.type = CommandType::reissue;
        re.certificate_id = shared->state.id;
        re.reason = "damaged";
        re.actor = approver();
        auto r2 = l->execute(auths[3].code, re);
        (r2.ok() ? ok : failed)++;
        if (!r2.ok()) ADD_FAILURE() << r2.error().to_string();
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 400);
  auto s = l->load(shared->state.id);
  EXPECT_EQ(s->stream_version, 201u);
  EXPECT_EQ(s->doc_version, 201u);
  auto audit = audit_store(l->store());
  ASSERT_TRUE(audit.ok()) << audit.error().message;
  EXPECT_EQ(audit->events, l->store().last_position());
  EXPECT_EQ(audit->certificates, 201u);
  EXPECT_GT(l->sequencer()->stats().largest_batch, 1u);  // groups formed
}

TEST(Ledger, KeyRotationKeepsOldEventsValid) {
  TempDir dir;
  auto l = open_ledger(dir.str());
  register_demo_authorities(*l);
  demo::SampleGenerator gen(5);
  auto a = demo::demo_authorities()[0];
  auto before = l->execute(a.code, issue_command(gen, "survey", a));
  ASSERT_TRUE(before.ok());
  auto kid = l->rotate_key(a.code, crypto::KeyAlg::sm2, "admin");
  ASSERT_TRUE(kid.ok()) << kid.error().to_string();
  EXPECT_EQ(*kid, "GD-ZJT/k2");
  auto after = l->execute(a.code, issue_command(gen, "survey", a));
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(crypto::jws_parse(after->record.bytes)->kid, "GD-ZJT/k2");
  EXPECT_EQ(crypto::jws_parse(before->record.bytes)->kid, "GD-ZJT/k1");
  auto jwks = l->jwks();
  bool retired_seen = false;
  for (auto& k : jwks["keys"])
    if (k["kid"] == "GD-ZJT/k1") retired_seen = !k["retired_at_position"].is_null();
  EXPECT_TRUE(retired_seen);
  ASSERT_TRUE(audit_store(l->store()).ok());
  // Reopen: k1 is retired, so only k2 is loaded, and it still signs.
  l.reset();
  l = open_ledger(dir.str());
  ASSERT_TRUE(l->execute(a.code, issue_command(gen, "survey", a)).ok());
}

TEST(Audit, RejectsAnEventSignedWithARetiredKey) {
  // Build a log by hand: the retired key signs after its retirement.
  auto log_key = *crypto::PrivateKey::generate(crypto::KeyAlg::ed25519);
  auto k1 = *crypto::PrivateKey::generate(crypto::KeyAlg::ed25519);
  auto k2 = *crypto::PrivateKey::generate(crypto::KeyAlg::ed25519);
  std::vector<std::string> records;
  std::map<std::string, std::pair<uint64_t, std::string>> heads;
  auto add = [&](const crypto::PrivateKey& key, const std::string& kid, std::string type, std::string stream,
                 std::string authority, nlohmann::json data) {
    domain::Event e;
    e.id = "0190f3a2-0000-7000-8000-00000000000" + std::to_string(records.size() % 10);
    e.type = std::move(type);
    e.stream = stream;
    auto& h = heads[stream];
    e.seq = h.first + 1;
    e.prev = h.second;
    e.authority = std::move(authority);
    e.actor = {{"operator", "t"}, {"role", "admin"}, {"trail", nlohmann::json::array()}};
    e.time = 1732350000000;
    e.data = std::move(data);
    std::string rec = *crypto::jws_sign(key, kid, domain::serialize_event(e));
    h = {e.seq, hash_hex(sha256(rec))};
    records.push_back(rec);
  };
  auto log_data = key_data("log/k1", log_key.public_key());
  log_data["origin"] = "t/log";
  add(log_key, "log/k1", "log.initialized", "log", "", log_data);
  add(log_key, "log/k1", "authority.registered", "authority:GD-ZJT", "GD-ZJT",
      authority_data(demo::demo_authorities()[0]));
  add(log_key, "log/k1", "authority.key_added", "authority:GD-ZJT", "GD-ZJT", key_data("GD-ZJT/k1", k1.public_key()));
  add(k1, "GD-ZJT/k1", "report.registered", "report:A1", "GD-ZJT", {{"x", 1}});
  add(log_key, "log/k1", "authority.key_added", "authority:GD-ZJT", "GD-ZJT", key_data("GD-ZJT/k2", k2.public_key()));
  add(log_key, "log/k1", "authority.key_retired", "authority:GD-ZJT", "GD-ZJT", {{"kid", "GD-ZJT/k1"}});
  add(k2, "GD-ZJT/k2", "report.registered", "report:A2", "GD-ZJT", {{"x", 2}});
  add(k1, "GD-ZJT/k1", "report.registered", "report:A3", "GD-ZJT", {{"x", 3}});

  Auditor good(log_key.public_key());
  for (size_t i = 0; i + 1 < records.size(); ++i) ASSERT_TRUE(good.add_record(i + 1, records[i]).ok()) << i;
  auto bad = good.add_record(records.size(), records.back());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("position 8"), std::string::npos);
  EXPECT_NE(bad.error().message.find("after it was retired"), std::string::npos);

  // And the log key may not sign certificate events, nor a stranger's key the log.
  Auditor wrong_anchor(k2.public_key());
  EXPECT_FALSE(wrong_anchor.add_record(1, records[0]).ok());

  // Batched (signatures checked ahead on every core with the keys known at
  // the batch's start): the same verdicts. Records 1-4 first, so k1 is
  // known to the second batch and its check passes there: the auditor must
  // still refuse record 8, signed after k1 was retired. k2 is added inside
  // the second batch: its record is checked in order.
  auto batched = [&](std::vector<std::string> recs) -> Status {
    Auditor a(log_key.public_key());
    size_t at = 0;
    for (size_t end : {size_t{4}, recs.size()}) {
      std::vector<std::string_view> views(recs.begin() + static_cast<long>(at), recs.begin() + static_cast<long>(end));
      auto prepared = a.prepare_batch(views);
      for (size_t i = 0; i < views.size(); ++i) CL_TRY(a.add_record(at + i + 1, views[i], nullptr, &prepared[i]));
      at = end;
    }
    return {};
  };
  auto refused = batched(records);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("position 8"), std::string::npos) << refused.error().message;
  EXPECT_NE(refused.error().message.find("after it was retired"), std::string::npos);
  std::vector<std::string> good_records(records.begin(), records.end() - 1);
  EXPECT_TRUE(batched(good_records).ok());
  // A signature swapped for another record's of the same key: the batch's
  // check fails and so does the audit, at that position.
  auto signature = [](const std::string& rec) {
    const size_t at = rec.find("\"signature\":\"") + 13;
    return std::pair{at, rec.substr(at, rec.find('"', at) - at)};
  };
  auto swapped = good_records;
  const auto [at, mine] = signature(swapped[6]);
  swapped[6].replace(at, mine.size(), signature(records[3]).second);
  ASSERT_NE(swapped[6], good_records[6]);
  auto bad_sig = batched(swapped);
  ASSERT_FALSE(bad_sig.ok());
  EXPECT_NE(bad_sig.error().message.find("position 7"), std::string::npos) << bad_sig.error().message;
}

// ---- tampering with a closed data dir ----

class Tamper : public ::testing::Test {
 protected:
  void SetUp() override {
    auto l = open_ledger(dir_.str());
    register_demo_authorities(*l);
    demo::SampleGenerator gen(9);
    for (int i = 0; i < 30; ++i) {
      auto a = demo::demo_authorities()[i % 4];
      auto r = l->execute(a.code, issue_command(gen, std::string(domain::all_kinds()[i % 11].code), a));
      ASSERT_TRUE(r.ok()) << r.error().to_string();
    }
    ASSERT_TRUE(l->sequencer()->checkpoint_now().ok());
    last_ = l->store().last_position();
    auto clean = audit_store(l->store());
    ASSERT_TRUE(clean.ok()) << clean.error().message;
    EXPECT_GE(clean->checkpoints, 3u);
  }
  // Raw access to the closed store, as an attacker with disk access has.
  void with_store(const std::function<void(store::EventStore&)>& fn) {
    store::StoreOptions o;
    o.path = (dir_.path() / "db").string();
    auto s = store::EventStore::open(o);
    ASSERT_TRUE(s.ok());
    fn(**s);
  }
  std::string audit_error() {
    std::string msg;
    with_store([&](store::EventStore& s) {
      auto r = audit_store(s);
      msg = r.ok() ? "" : r.error().message;
    });
    return msg;
  }
  void put(store::EventStore& s, uint64_t pos, const std::string& rec) {
    ASSERT_TRUE(store::Raw::put_sync(s, store::kCfEvents, store::event_key(pos), rec).ok());
  }
  TempDir dir_;
  uint64_t last_ = 0;
};

TEST_F(Tamper, FlippedByteIsFoundAtItsPosition) {
  with_store([&](store::EventStore& s) {
    std::string rec = *s.record_at(20);
    rec[rec.size() / 2] ^= 0x01;
    put(s, 20, rec);
  });
  EXPECT_NE(audit_error().find("position 20"), std::string::npos) << audit_error();
}

TEST_F(Tamper, DeletedEventIsFound) {
  with_store([&](store::EventStore& s) {
    ASSERT_TRUE(store::Raw::db(s)
                    ->Delete(rocksdb::WriteOptions(), store::Raw::family(s, store::kCfEvents), store::event_key(17))
                    .ok());
  });
  std::string e = audit_error();
  EXPECT_NE(e.find("position 17"), std::string::npos) << e;
  EXPECT_NE(e.find("missing"), std::string::npos) << e;
}

TEST_F(Tamper, ReorderedEventsAreFound) {
  with_store([&](store::EventStore& s) {
    std::string a = *s.record_at(25), b = *s.record_at(26);
    put(s, 25, b);
    put(s, 26, a);
  });
  EXPECT_NE(audit_error().find("position 25"), std::string::npos) << audit_error();
}

TEST_F(Tamper, SwappedSignatureIsFound) {
  with_store([&](store::EventStore& s) {
    auto j1 = nlohmann::json::parse(*s.record_at(22));
    auto j2 = nlohmann::json::parse(*s.record_at(26));  // same authority (22 % 4 == 26 % 4)
    j1["signature"] = j2["signature"];
    put(s, 22, j1.dump());
  });
  std::string e = audit_error();
  EXPECT_NE(e.find("position 22"), std::string::npos) << e;
  EXPECT_NE(e.find("does not verify"), std::string::npos) << e;
}

TEST_F(Tamper, AlteredCheckpointIsFound) {
  with_store([&](store::EventStore& s) {
    auto cps = s.checkpoints();
    ASSERT_FALSE(cps.empty());
    auto [size, note] = cps.front();
    note[note.find('\n') + 1] = note[note.find('\n') + 1] == '1' ? '2' : '1';
    ASSERT_TRUE(store::Raw::put_sync(s, store::kCfCheckpoints, be64(size), note).ok());
  });
  EXPECT_FALSE(audit_error().empty());
}

TEST_F(Tamper, ProofsFromStoredNodesVerifyAgainstCheckpoints) {
  with_store([&](store::EventStore& s) {
    auto cps = s.checkpoints();
    ASSERT_GE(cps.size(), 2u);
    auto log_vkey =
        crypto::PublicKey::from_jwk(nlohmann::json::parse(crypto::jws_parse(*s.record_at(1))->payload)["data"]["jwk"]);
    auto first = merkle::open_checkpoint(cps[0].second, "certledger.test/log", *log_vkey);
    auto last = merkle::open_checkpoint(cps.back().second, "certledger.test/log", *log_vkey);
    ASSERT_TRUE(first.ok() && last.ok());
    auto cons = merkle::consistency_proof(first->size, last->size, s.node_source());
    ASSERT_TRUE(cons.ok());
    EXPECT_TRUE(merkle::verify_consistency(first->size, last->size, *cons, first->root, last->root).ok());
    for (uint64_t pos = 1; pos <= last->size; ++pos) {
      auto proof = merkle::inclusion_proof(pos - 1, last->size, s.node_source());
      ASSERT_TRUE(proof.ok());
      EXPECT_TRUE(
          merkle::verify_inclusion(pos - 1, last->size, merkle::leaf_hash(*s.record_at(pos)), *proof, last->root).ok())
          << pos;
    }
  });
}
}  // namespace
}  // namespace certledger

namespace certledger {
namespace {

using namespace certledger::testing;

// Replay's in-memory stage: reads its own writes, falls through to RocksDB
// only where it must, and leaves RocksDB with exactly the last values.
TEST(MemoryBatch, StagesLastValuesAndFallsThroughAfterAFlush) {
  TempDir dir;
  store::StoreOptions o;
  o.path = (dir.path() / "db").string();
  o.extra_column_families = {"p_a", "p_b"};
  auto s = store::EventStore::open(o);
  ASSERT_TRUE(s.ok());
  store::EventStore& db = **s;
  ASSERT_TRUE(store::Raw::put_sync(db, "p_b", "old", "on disk").ok());
  {
    // p_a was just reset: never read from RocksDB; p_b is read through.
    store::MemoryBatch stage(db, {"p_a"});
    store::BatchWriter w(db, stage);
    EXPECT_EQ(w.get("p_b", "old"), std::optional<std::string>("on disk"));
    for (int i = 0; i < 100; ++i) w.put("p_a", "counter", std::to_string(i));
    w.put("p_a", "gone", "x");
    w.del("p_a", "gone");
    w.del("p_b", "old");
    EXPECT_EQ(w.get("p_a", "counter"), std::optional<std::string>("99"));
    EXPECT_FALSE(w.get("p_a", "gone").has_value());
    EXPECT_FALSE(w.get("p_b", "old").has_value());       // the staged delete hides the disk value
    EXPECT_FALSE(db.get("p_a", "counter").has_value());  // nothing written before the flush
    ASSERT_TRUE(stage.flush(false).ok());
    EXPECT_EQ(stage.bytes(), 0u);
    EXPECT_EQ(db.get("p_a", "counter"), std::optional<std::string>("99"));
    EXPECT_FALSE(db.get("p_a", "gone").has_value());
    EXPECT_FALSE(db.get("p_b", "old").has_value());
    // After a flush p_a is no longer known empty: reads go to RocksDB.
    EXPECT_EQ(w.get("p_a", "counter"), std::optional<std::string>("99"));
    w.put("p_a", "counter", "100");
    w.del("p_a", "counter");
    EXPECT_FALSE(w.get("p_a", "counter").has_value());
    ASSERT_TRUE(stage.flush(true).ok());
    EXPECT_FALSE(db.get("p_a", "counter").has_value());
  }
}

// A sequencer group's stage: reads its own writes and the group below it
// (the one being written), undoes one event back to its save point, and
// seals into one entry per key.
TEST(GroupBatch, ReadsThroughTheGroupBelowAndRollsBackOneEvent) {
  TempDir dir;
  store::StoreOptions o;
  o.path = (dir.path() / "db").string();
  o.extra_column_families = {"p_a"};
  auto s = store::EventStore::open(o);
  ASSERT_TRUE(s.ok());
  store::EventStore& db = **s;
  ASSERT_TRUE(store::Raw::put_sync(db, "p_a", "disk", "on disk").ok());
  ASSERT_TRUE(store::Raw::put_sync(db, "p_a", "hidden", "on disk").ok());
  store::GroupBatch first(db);
  {
    store::BatchWriter w(db, first);
    for (int i = 0; i < 50; ++i) w.put("p_a", "counter", std::to_string(i));
    w.del("p_a", "hidden");
    first.seal();
    EXPECT_EQ(first.batch().Count(), 2u);  // one entry per key
  }
  store::GroupBatch second(db, &first);
  store::BatchWriter w(db, second);
  EXPECT_EQ(w.get("p_a", "counter"), std::optional<std::string>("49"));  // from the group below
  EXPECT_FALSE(w.get("p_a", "hidden").has_value());                      // its delete hides the disk
  EXPECT_EQ(w.get("p_a", "disk"), std::optional<std::string>("on disk"));
  w.put("p_a", "counter", "50");
  second.set_save_point();
  w.put("p_a", "counter", "51");
  w.put("p_a", "new", "x");
  w.del("p_a", "disk");
  second.rollback_to_save_point();  // the event is refused: as if it never ran
  EXPECT_EQ(w.get("p_a", "counter"), std::optional<std::string>("50"));
  EXPECT_FALSE(w.get("p_a", "new").has_value());
  EXPECT_EQ(w.get("p_a", "disk"), std::optional<std::string>("on disk"));
  second.set_save_point();
  w.put("p_a", "kept", "y");
  second.pop_save_point();
  // The group below is durable now: reads go to RocksDB.
  ASSERT_TRUE(store::Raw::db(db)->Write(rocksdb::WriteOptions(), &first.batch()).ok());
  second.drop_below();
  EXPECT_FALSE(w.get("p_a", "hidden").has_value());
  second.seal();
  EXPECT_EQ(second.batch().Count(), 2u);
  ASSERT_TRUE(store::Raw::db(db)->Write(rocksdb::WriteOptions(), &second.batch()).ok());
  EXPECT_EQ(db.get("p_a", "counter"), std::optional<std::string>("50"));
  EXPECT_EQ(db.get("p_a", "kept"), std::optional<std::string>("y"));
  EXPECT_FALSE(db.get("p_a", "new").has_value());
  EXPECT_FALSE(db.get("p_a", "hidden").has_value());
  EXPECT_EQ(db.get("p_a", "disk"), std::optional<std::string>("on disk"));
}

// A file system whose write-ahead-log appends fail while `full` is set, as
// on a full disk.
class FullDiskFs : public rocksdb::FileSystemWrapper {
 public:
  explicit FullDiskFs(std::shared_ptr<rocksdb::FileSystem> base) : FileSystemWrapper(std::move(base)) {}
  const char* Name() const override { return "FullDiskFs"; }
  std::atomic<bool> full{false};

  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r, rocksdb::IODebugContext* d) override {
    auto st = target()->NewWritableFile(f, o, r, d);
    if (st.ok() && f.ends_with(".log")) *r = std::make_unique<File>(std::move(*r), full);
    return st;
  }

 private:
  class File : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    File(std::unique_ptr<rocksdb::FSWritableFile> f, std::atomic<bool>& full)
        : FSWritableFileOwnerWrapper(std::move(f)), full_(full) {}
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* d) override {
      if (full_) return rocksdb::IOStatus::NoSpace("injected: the disk is full");
      return target()->Append(data, o, d);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                             const rocksdb::DataVerificationInfo& v, rocksdb::IODebugContext* d) override {
      if (full_) return rocksdb::IOStatus::NoSpace("injected: the disk is full");
      return target()->Append(data, o, v, d);
    }

   private:
    std::atomic<bool>& full_;
  };
};

// The disk fills while many submitters are mid-stream, with groups in the
// writer's pipeline: every command answered ok is in the log at the
// position it was given, every other one is refused as unavailable and is
// not in the log (nor is anything built on top of a failed group), the
// ledger keeps refusing while the disk is full, and after a restart the
// log is whole and takes new commands.
TEST(Ledger, AFullDiskFailsClosedAndLosesNothingAcknowledged) {
  TempDir dir;
  auto fs = std::make_shared<FullDiskFs>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  const auto a = demo::demo_authorities()[0];
  std::vector<std::pair<uint64_t, std::string>> acked;  // position, record
  uint64_t refused = 0;
  {
    auto o = test_options(dir.str());
    o.env = env.get();
    auto l = open_ledger(dir.str(), o);
    ASSERT_TRUE(l);
    register_demo_authorities(*l);
    std::mutex mu;
    std::atomic<int> answered{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 16; ++t)
      threads.emplace_back([&, t] {
        demo::SampleGenerator gen(500 + t);
        for (int i = 0; i < 25; ++i) {
          auto r = l->execute(a.code, issue_command(gen, "testing_institution", a));
          std::lock_guard lock(mu);
          if (r.ok()) {
            acked.emplace_back(r->record.position, r->record.bytes);
          } else {
            EXPECT_EQ(r.error().code, Errc::unavailable) << r.error().to_string();
            ++refused;
          }
          if (++answered == 120) fs->full = true;  // mid-stream, others in flight
        }
      });
    for (auto& th : threads) th.join();
    EXPECT_GE(acked.size(), 120u);
    EXPECT_GT(refused, 0u);
    EXPECT_EQ(acked.size() + refused, 400u);
    EXPECT_FALSE(l->sequencer()->healthy());
    // Still full: fail closed, nothing written.
    const uint64_t last = l->store().last_position();
    demo::SampleGenerator gen(900);
    auto again = l->execute(a.code, issue_command(gen, "testing_institution", a));
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, Errc::unavailable);
    EXPECT_EQ(l->store().last_position(), last);
    // Space again: still closed until a restart (the WAL writer that saw the
    // error is not used again).
    fs->full = false;
    auto freed = l->execute(a.code, issue_command(gen, "testing_institution", a));
    ASSERT_FALSE(freed.ok());
    EXPECT_EQ(freed.error().code, Errc::unavailable);
    EXPECT_NE(freed.error().message.find("restart"), std::string::npos) << freed.error().message;
    EXPECT_EQ(l->store().last_position(), last);
  }
  auto l = open_ledger(dir.str());
  ASSERT_TRUE(l);
  // Registry events (9) + exactly the acknowledged ones, dense.
  EXPECT_EQ(l->store().last_position(), 9u + acked.size());
  for (const auto& [pos, record] : acked) {
    auto stored = l->store().record_at(pos);
    ASSERT_TRUE(stored.ok()) << pos;
    EXPECT_EQ(*stored, record) << "position " << pos;
  }
  auto audit = audit_store(l->store());
  ASSERT_TRUE(audit.ok()) << audit.error().message;
  EXPECT_EQ(audit->certificates, acked.size());
  demo::SampleGenerator gen(901);
  auto after = l->execute(a.code, issue_command(gen, "testing_institution", a));
  ASSERT_TRUE(after.ok()) << after.error().to_string();
  EXPECT_EQ(after->record.position, 10u + acked.size());
}

}  // namespace
}  // namespace certledger
