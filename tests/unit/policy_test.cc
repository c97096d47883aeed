// C2SP tlog-policy: the parser's rules (names before use, thresholds,
// duplicates, one quorum), and quorum verdicts over a real log's checkpoint
// with real cosignatures from witness keys.
#include "ledger/merkle/policy.h"

#include <gtest/gtest.h>

#include "ledger/ledger.h"
#include "ledger/merkle/checkpoint.h"
#include "ledger/merkle/cosignature.h"
#include "tests/unit/ledger_helpers.h"

namespace certledger {
namespace {

using merkle::Policy;

struct WitnessKey {
  std::string name;
  crypto::PrivateKey key = *crypto::PrivateKey::generate(crypto::KeyAlg::ed25519);
  std::string vkey() const { return merkle::cosigner_verifier_key(name, key.public_key()); }
  // Its cosignature line over a note's body.
  std::string cosign(const std::string& note) const {
    return *merkle::cosign(note.substr(0, note.find("\n\n") + 1), name, key, 1765000000);
  }
};

struct Fixture {
  testing::TempDir dir;
  std::unique_ptr<Ledger> ledger = testing::open_ledger(dir.str());
  std::vector<WitnessKey> w;
  std::string note;
  Fixture() {
    for (const char* n : {"x1.example/w", "x2.example/w", "x3.example/w", "y1.example/w", "y2.example/w"})
      w.push_back(WitnessKey{n});
    EXPECT_TRUE(ledger->sequencer()->checkpoint_now().ok());
    note = ledger->store().latest_checkpoint()->second;
  }
  std::string policy() const {
    return "# two operators\nlog " + ledger->log_verifier_key() + " http://log.example\n\n" + "witness X1 " +
           w[0].vkey() + "\n\twitness X2 " + w[1].vkey() + " http://x2.example\n" + "witness X3 " + w[2].vkey() +
           "\ngroup X-witnesses 2 X1 X2 X3\n" + "witness Y1 " + w[3].vkey() + "\nwitness Y2 " + w[4].vkey() +
           "\ngroup Y-witnesses any Y1 Y2\n" + "group X-and-Y all X-witnesses Y-witnesses\nquorum X-and-Y\n";
  }
  std::string cosigned(std::initializer_list<int> who) const {
    std::string out = note;
    for (int i : who) out += w[static_cast<size_t>(i)].cosign(note);
    return out;
  }
};

TEST(Policy, ParsesTheSpecsTwoLevelQuorumAndDecidesByRealCosignatures) {
  Fixture f;
  auto p = Policy::parse(f.policy());
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_EQ(p->logs().size(), 1u);
  EXPECT_EQ(p->logs()[0].origin, f.ledger->origin());
  EXPECT_EQ(p->logs()[0].url, "http://log.example");
  ASSERT_EQ(p->witnesses().size(), 5u);
  EXPECT_EQ(p->witnesses()[1].url, "http://x2.example");
  EXPECT_EQ(p->witnesses()[1].key_name, "x2.example/w");
  EXPECT_TRUE(p->needs_cosignatures());
  EXPECT_EQ(p->describe(), "2 of X-witnesses, Y-witnesses");

  struct Case {
    std::initializer_list<int> who;
    bool met;
  };
  for (const Case& c : {Case{{}, false}, Case{{0, 1}, false}, Case{{0, 3}, false}, Case{{0, 1, 3}, true},
                        Case{{1, 2, 4}, true}, Case{{0, 1, 2}, false}, Case{{3, 4}, false}}) {
    auto v = p->check(f.cosigned(c.who));
    ASSERT_TRUE(v.ok()) << v.error().message;
    EXPECT_EQ(v->met, c.met) << "cosigned by " << c.who.size();
    EXPECT_EQ(v->cosigned.size(), c.who.size());
  }
  auto v = p->check(f.cosigned({0}));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(p->shortfall(*v), "below the witness quorum (2 of X-witnesses, Y-witnesses): cosigned by X1");

  // An unknown witness's line is ignored; a known witness's line that does
  // not verify (another body) is an error.
  WitnessKey stranger{"z.example/w"};
  v = p->check(f.cosigned({0, 1}) + stranger.cosign(f.note));
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->met);
  std::string other = f.note;
  other.replace(other.find('\n') + 1, 1, "9");  // another tree size in the signed body
  EXPECT_FALSE(p->check(f.cosigned({0, 3}) + f.w[1].cosign(other)).ok());

  // The text form parses back to the same policy.
  auto again = Policy::parse(p->text());
  ASSERT_TRUE(again.ok()) << again.error().message << "\n" << p->text();
  EXPECT_EQ(again->describe(), p->describe());
  EXPECT_EQ(again->text(), p->text());
  EXPECT_TRUE(again->check(f.cosigned({0, 1, 3}))->met);
}

TEST(Policy, QuorumNoneAndThresholds) {
  Fixture f;
  auto none = Policy::parse("quorum none\n");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->needs_cosignatures());
  EXPECT_TRUE(none->check(f.note)->met);
  EXPECT_EQ(none->describe(), "none");

  auto single = Policy::parse("witness W " + f.w[0].vkey() + "\nquorum W\n");
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(single->describe(), "the witness W");
  EXPECT_FALSE(single->check(f.note)->met);
  EXPECT_TRUE(single->check(f.cosigned({0}))->met);

  std::vector<merkle::PolicyWitness> ws;
  for (size_t i = 0; i < 3; ++i) ws.push_back({"quorum", f.w[i].name, f.w[i].key.public_key(), ""});
  ws[1].name = "b";
  ws[2].name = "c";
  auto two = Policy::threshold({}, ws, 2);  // a witness named like the group gets no clash
  ASSERT_TRUE(two.ok()) << two.error().message;
  EXPECT_EQ(two->describe(), "2 of quorum, b, c");
  EXPECT_FALSE(two->check(f.cosigned({2}))->met);
  EXPECT_TRUE(two->check(f.cosigned({0, 2}))->met);
  EXPECT_FALSE(Policy::threshold({}, ws, 4).ok());
  EXPECT_FALSE(Policy::threshold({}, ws, 0)->needs_cosignatures());
}

TEST(Policy, RefusesMalformedPoliciesNamingTheLine) {
  Fixture f;
  const std::string w0 = "witness A " + f.w[0].vkey() + "\n";
  const std::string log_key = f.ledger->log_verifier_key();
  struct Bad {
    std::string text, says;
  };
  for (const Bad& b : std::vector<Bad>{
           {"", "no quorum line"},
           {w0, "no quorum line"},
           {w0 + "quorum A\nquorum A\n", "line 3: a second quorum line"},
           {"quorum A\n" + w0, "line 1: quorum A is not defined"},
           {w0 + "group G 2 A\nquorum G\n", "threshold must be all, any or 1..1"},
           {w0 + "group G 0 A\nquorum G\n", "threshold"},
           {w0 + "group G any\nquorum G\n", "expected: group"},
           {w0 + "group G any A A\nquorum G\n", "member A listed twice"},
           {w0 + "group G any B\nquorum G\n", "member B is not defined"},
           {w0 + "witness A " + f.w[1].vkey() + "\nquorum A\n", "line 2: the name A is taken"},
           {w0 + "witness B " + f.w[0].vkey() + "\nquorum A\n", "a witness listed twice"},
           {"witness none " + f.w[0].vkey() + "\nquorum none\n", "the name none is taken"},
           {w0 + "group G any none\nquorum G\n", "member none is not defined"},
           {"log " + log_key + "\nlog " + log_key + "\nquorum none\n", "a log listed twice"},
           {"witness A " + log_key + "\nquorum A\n", "type 0x04"},
           {"log " + f.w[0].vkey() + "\nquorum none\n", "not an Ed25519 note key"},
           {w0 + "quorum A extra\n", "expected: quorum <name>"},
           {w0 + "monitor A\nquorum A\n", "unknown keyword monitor"},
           {w0 + "quorum\x01 A\n", "a control character"},
       }) {
    auto p = Policy::parse(b.text);
    ASSERT_FALSE(p.ok()) << b.text;
    EXPECT_NE(p.error().message.find(b.says), std::string::npos) << p.error().message << " / wanted: " << b.says;
  }
}

}  // namespace
}  // namespace certledger
