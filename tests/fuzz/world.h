// What the fuzz harnesses share: a real data dir (RocksDB, keys, tokens)
// built once per process in a temporary directory, with two authorities,
// certificates of an organisation and a person, a token of every role, and
// the real Service on top. Removed at exit.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <unistd.h>

#include "ops/common/config.h"
#include "api/service.h"
#include "ops/demo/samples.h"
#include "ops/common/setup.h"

namespace certledger::fuzz {

struct World {
  std::filesystem::path dir;
  ops::OpenLedger l;
  ops::Config config;
  std::unique_ptr<api::TokenStore> tokens;
  api::Metrics metrics;
  std::unique_ptr<api::Service> service;
  std::map<std::string, std::string> token;  // role name (and "institution", "other") -> bearer
  std::vector<std::string> certificates;     // ids: testing institution, person, another authority's
  std::vector<std::string> qr_tokens;

  static World& get() {
    static World* w = make();
    return *w;
  }

 private:
  static World* make() {
    auto* w = new World();  // never destroyed: the sequencer's threads live until exit
    w->dir = std::filesystem::temp_directory_path() / ("certledger-fuzz-" + std::to_string(::getpid()));
    std::filesystem::remove_all(w->dir);
    static std::string dir_copy = w->dir.string();
    std::atexit([] { std::filesystem::remove_all(dir_copy); });
    ops::OpenOptions o;
    o.data_dir = w->dir.string();
    o.create = true;
    o.policy.checkpoint_every = 64;
    auto opened = ops::open_data_dir(o);
    if (!opened.ok()) std::abort();
    w->l = std::move(*opened);
    Ledger& ledger = *w->l.ledger;
    const auto auths = demo::demo_authorities();
    demo::SampleGenerator gen(1);
    for (const auto& a : {auths[0], auths[3]}) {
      if (!ledger.register_authority(a, crypto::KeyAlg::ed25519, "fuzz").ok()) std::abort();
      if (!ledger.put_blob(a.code, demo::SampleGenerator::sample_photo_png(0)).ok()) std::abort();
    }
    auto issue = [&](const domain::AuthorityInfo& a, const char* kind) {
      auto c = demo::sample_issue(gen, *domain::find_kind(kind), a, china_date(system_now_ms()).plus_days(-30), "fuzz");
      auto r = ledger.execute(a.code, c);
      if (!r.ok()) std::abort();
      w->certificates.push_back(r->state.id);
      w->qr_tokens.push_back(r->state.token);
    };
    issue(auths[0], "testing_institution");
    issue(auths[0], "special_operation");
    issue(auths[3], "special_operation");
    w->config.service.public_base_url = "https://v.example";
    w->config.service.lookup_per_minute = 1e9;
    w->config.service.lookup_burst = 1e9;
    w->config.service.holder_lookups_per_minute = 1e9;
    w->config.service.holder_lookup_burst = 1e9;
    w->tokens = std::make_unique<api::TokenStore>((w->dir / "tokens.json").string());
    for (auto r : {domain::Role::clerk, domain::Role::reviewer, domain::Role::approver, domain::Role::auditor,
                   domain::Role::admin})
      w->token[domain::role_name(r)] =
          *w->tokens->create(auths[0].code, r, std::string("fuzz.") + domain::role_name(r));
    w->token["institution"] =
        *w->tokens->create(auths[0].code, domain::Role::institution, "fuzz.inst", w->certificates[0]);
    w->token["other"] = *w->tokens->create(auths[3].code, domain::Role::approver, "fuzz.other");
    w->service = std::make_unique<api::Service>(ledger, w->config.service, *w->tokens, w->metrics);
    return w;
  }
};

// A 500 means an exception escaped a handler: a bug the fuzzer reports.
inline void expect_no_internal_error(const api::Response& r) {
  if (r.status >= 500 && r.status != 503 && r.status != 501) std::abort();
}

}  // namespace certledger::fuzz
