// Test helpers for a real Ledger in a temporary data dir.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>

#include "ops/demo/samples.h"
#include "ledger/ledger.h"

namespace certledger::testing {

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> n{0};
    path_ = std::filesystem::temp_directory_path() /
            ("certledger-test-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string str() const { return path_.string(); }
  std::filesystem::path path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline LedgerOptions test_options(const std::string& dir) {
  LedgerOptions o;
  o.data_dir = dir;
  o.origin = "certledger.test/log";
  o.policy.checkpoint_every = 10;
  o.policy.checkpoint_interval_ms = 60000;
  return o;
}

inline std::unique_ptr<Ledger> open_ledger(const std::string& dir, LedgerOptions o = {}) {
  if (o.data_dir.empty() || o.data_dir == "./data") o = test_options(dir);
  auto l = Ledger::open(o);
  EXPECT_TRUE(l.ok()) << (l.ok() ? "" : l.error().to_string());
  return l.ok() ? std::move(*l) : nullptr;
}

inline domain::Actor approver() {
  return domain::Actor{"li.si", domain::Role::approver, {{"clerk", "zhang.san", ""}, {"approve", "li.si", "同意"}}};
}

// Registers the four demo authorities (Ed25519, SM2, ES256, Ed25519).
inline void register_demo_authorities(Ledger& l) {
  auto auths = demo::demo_authorities();
  crypto::KeyAlg algs[] = {crypto::KeyAlg::ed25519, crypto::KeyAlg::sm2, crypto::KeyAlg::es256,
                           crypto::KeyAlg::ed25519};
  for (size_t i = 0; i < auths.size(); ++i) {
    auto r = l.register_authority(auths[i], algs[i], "admin");
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    ASSERT_TRUE(l.put_blob(auths[i].code, demo::SampleGenerator::sample_photo_png(0)).ok());
  }
}

inline domain::CommandInput issue_command(demo::SampleGenerator& gen, const std::string& kind,
                                          const domain::AuthorityInfo& a) {
  auto c = demo::sample_issue(gen, *domain::find_kind(kind), a, china_date(system_now_ms()).plus_days(-30), "");
  c.actor = approver();
  return c;
}

}  // namespace certledger::testing
