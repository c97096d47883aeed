// The witness (C2SP tlog-witness, cosignature/v1) against a real ledger's
// checkpoints and consistency proofs: every status code the spec names, the
// cosignature verifies with the witness key, its state survives a restart,
// and a log that shows it two histories leaves both signed checkpoints as
// evidence.
#include "ledger/witness.h"

#include <gtest/gtest.h>

#include "ledger/ledger.h"
#include "ledger/merkle/checkpoint.h"
#include "ledger/merkle/cosignature.h"
#include "ledger/merkle/tree.h"
#include "ledger/util/encoding.h"
#include "tests/unit/ledger_helpers.h"

namespace certledger {
namespace {

using testing::TempDir;

struct Log {
  TempDir dir;
  std::unique_ptr<Ledger> ledger = testing::open_ledger(dir.str());
  demo::SampleGenerator gen{7};
  Log() { testing::register_demo_authorities(*ledger); }
  // A few more records and a checkpoint of them: (size, note).
  std::pair<uint64_t, std::string> grow(int n) {
    const auto a = demo::demo_authorities()[0];
    for (int i = 0; i < n; ++i)
      EXPECT_TRUE(ledger->execute(a.code, testing::issue_command(gen, "safety_license", a)).ok());
    EXPECT_TRUE(ledger->sequencer()->checkpoint_now().ok());
    auto cp = ledger->store().latest_checkpoint();
    return *cp;
  }
  std::string request(uint64_t old, uint64_t size, const std::string& note) {
    std::string r = "old " + std::to_string(old) + "\n";
    if (old > 0) {
      auto proof = merkle::consistency_proof(old, size, ledger->store().node_source());
      EXPECT_TRUE(proof.ok());
      for (const auto& h : *proof) r += base64_encode(hash_bytes(h)) + "\n";
    }
    return r + "\n" + note;
  }
  WitnessedLog witnessed() const {
    return {ledger->origin(), merkle::parse_note_verifier_key(ledger->log_verifier_key())->second, {}, {}};
  }
};

struct WitnessWorld {
  TempDir dir;
  std::unique_ptr<store::EventStore> store;
  std::shared_ptr<const crypto::PrivateKey> key =
      std::make_shared<const crypto::PrivateKey>(*crypto::PrivateKey::generate(crypto::KeyAlg::ed25519));
  std::unique_ptr<Witness> witness;
  void open(const std::vector<WitnessedLog>& logs) {
    witness.reset();
    store.reset();
    store::StoreOptions o;
    o.path = (dir.path() / "db").string();
    auto opened = store::EventStore::open(o);
    ASSERT_TRUE(opened.ok());
    store = std::move(opened).value();
    witness = std::make_unique<Witness>(*store, "witness.test/w1", key, logs);
  }
};

TEST(Witness, CosignsConsistentCheckpointsAndAnswersEveryCaseAsTheSpecSays) {
  Log log;
  WitnessWorld w;
  w.open({log.witnessed()});
  auto [n1, note1] = log.grow(3);

  // First contact: old 0, no proof: 200 and a cosignature that verifies.
  auto a = w.witness->add_checkpoint(log.request(0, n1, note1));
  ASSERT_EQ(a.status, 200) << a.body;
  auto vkey = merkle::parse_cosigner_verifier_key(w.witness->verifier_key());
  ASSERT_TRUE(vkey.ok());
  auto t = merkle::verify_cosignature(note1 + a.body, vkey->first, vkey->second);
  ASSERT_TRUE(t.ok() && t->has_value()) << a.body;
  EXPECT_NEAR(double(**t), double(system_now_ms() / 1000), 5);
  EXPECT_TRUE(merkle::open_checkpoint(note1 + a.body, log.ledger->origin(), log.witnessed().key).ok())
      << "the log's own signature still verifies beside the cosignature";
  // A tampered cosignature line does not verify.
  std::string forged = a.body;
  forged[forged.size() - 6] = forged[forged.size() - 6] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(merkle::verify_cosignature(note1 + forged, vkey->first, vkey->second).ok());

  // The size it holds is what a stale client is told (409, text/x.tlog.size).
  auto stale = w.witness->add_checkpoint(log.request(0, n1, note1));
  EXPECT_EQ(stale.status, 409);
  EXPECT_EQ(stale.body, std::to_string(n1) + "\n");
  EXPECT_EQ(stale.content_type, "text/x.tlog.size");

  // The next checkpoint with its consistency proof: 200.
  auto [n2, note2] = log.grow(2);
  auto next = w.witness->add_checkpoint(log.request(n1, n2, note2));
  ASSERT_EQ(next.status, 200) << next.body << log.request(n1, n2, note2);
  // The same size again: cosigned again.
  EXPECT_EQ(w.witness->add_checkpoint(log.request(n2, n2, note2)).status, 200);

  // A wrong proof: 422, nothing cosigned, the two checkpoints kept.
  auto [n3, note3] = log.grow(1);
  std::string bad = log.request(n2, n3, note3);
  bad[bad.find('\n') + 3] = bad[bad.find('\n') + 3] == 'A' ? 'B' : 'A';
  EXPECT_EQ(w.witness->add_checkpoint(bad).status, 422);
  EXPECT_EQ(w.witness->inconsistent(), 1u);
  EXPECT_EQ(w.witness->split_views(), 0u);

  // Bad requests: 400.
  EXPECT_EQ(w.witness->add_checkpoint("old 1\n").status, 400);
  EXPECT_EQ(w.witness->add_checkpoint("old 01\n\n" + note3).status, 400);
  EXPECT_EQ(w.witness->add_checkpoint("old " + std::to_string(n3 + 1) + "\n\n" + note3).status, 400)
      << "old size above the checkpoint's";
  EXPECT_EQ(w.witness->add_checkpoint("old " + std::to_string(n2) + "\nnot-base64\n\n" + note3).status, 400);

  // Another log: 404. This log's origin signed by another key: 403.
  Log other;
  auto [on, onote] = other.grow(1);
  EXPECT_EQ(w.witness->add_checkpoint(other.request(0, on, onote)).status, 403) << "same default origin, another key";
  merkle::Checkpoint c{"other.example/log", 1, sha256("x"), {}};
  auto stranger = crypto::PrivateKey::generate(crypto::KeyAlg::ed25519);
  EXPECT_EQ(w.witness->add_checkpoint("old 0\n\n" + *merkle::sign_checkpoint(c, c.origin, *stranger)).status, 404);

  // A fork: the log's key signs another tree of the size the witness holds.
  auto log_key = crypto::PrivateKey::load((log.dir.path() / "keys" / "log" / "k1.pem").string(), "");
  ASSERT_TRUE(log_key.ok());
  merkle::Checkpoint fork{log.ledger->origin(), n2, sha256("another history"), {}};
  auto fork_note = merkle::sign_checkpoint(fork, fork.origin, *log_key);
  auto split = w.witness->add_checkpoint("old " + std::to_string(n2) + "\n\n" + *fork_note);
  EXPECT_EQ(split.status, 409) << split.body;
  EXPECT_EQ(w.witness->split_views(), 1u);

  // A restart keeps what it cosigned and the evidence.
  w.open({log.witnessed()});
  auto after = w.witness->add_checkpoint(log.request(0, n1, note1));
  EXPECT_EQ(after.status, 409);
  EXPECT_EQ(after.body, std::to_string(n2) + "\n");
  auto evidence = w.store->witness_evidence();
  ASSERT_EQ(evidence.size(), 2u);
  for (const auto& [origin, text] : evidence) {
    EXPECT_EQ(origin, log.ledger->origin());
    EXPECT_NE(text.find(note2), std::string::npos) << "the checkpoint it held";
  }
  EXPECT_NE(evidence[0].second.find(note3), std::string::npos) << "the one that did not extend it";
  EXPECT_NE(evidence[1].second.find(*fork_note), std::string::npos) << "the other tree of the same size";
  EXPECT_EQ(w.witness->add_checkpoint(log.request(n2, n3, note3)).status, 200) << "the honest next one still goes";
}

}  // namespace
}  // namespace certledger
