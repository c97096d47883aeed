// What the API tests share: a data dir with the standard projections in a
// temporary directory, some authorities (each with the sample photo
// uploaded, so generated personnel fields reference a blob it owns), a token
// store, metrics and a Service over them, all removed at the end; call()
// sends one request through Service::handle, no sockets.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ops/common/config.h"
#include "api/service.h"
#include "ops/demo/samples.h"
#include "ops/common/setup.h"

namespace certledger::api::testing {

struct ApiWorld {
  std::filesystem::path dir;
  ops::OpenLedger l;
  ops::Config config;
  std::unique_ptr<TokenStore> tokens;
  Metrics metrics;
  std::unique_ptr<Service> service;

  ApiWorld(const std::string& name, const std::vector<domain::AuthorityInfo>& authorities)
      : dir(std::filesystem::temp_directory_path() / ("certledger-" + name + "-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(dir);
    ops::OpenOptions o;
    o.data_dir = dir.string();
    o.create = true;
    auto opened = ops::open_data_dir(o);
    EXPECT_TRUE(opened.ok()) << (opened.ok() ? "" : opened.error().to_string());
    l = std::move(*opened);
    for (const auto& a : authorities) {
      EXPECT_TRUE(l.ledger->register_authority(a, crypto::KeyAlg::ed25519, "t").ok());
      EXPECT_TRUE(l.ledger->put_blob(a.code, demo::SampleGenerator::sample_photo_png(0)).ok());
    }
    config.data_dir = dir.string();
    config.service.public_base_url = "https://v.example";
    tokens = std::make_unique<TokenStore>((dir / "tokens.json").string());
  }
  ~ApiWorld() {
    service.reset();
    l.ledger.reset();
    std::filesystem::remove_all(dir);
  }
  // (Re)makes the service, after config or extensions changed.
  void make_service(Extensions ext = {}, Clock clock = system_now_ms) {
    service = std::make_unique<Service>(*l.ledger, config.service, *tokens, metrics, std::move(ext), std::move(clock));
  }
  Response call(std::string method, std::string target, std::string body = {}, const std::string& bearer = {},
                const std::map<std::string, std::string>& headers = {}, std::string client = "10.0.0.1") {
    Request r;
    r.method = std::move(method);
    r.target = std::move(target);
    r.body = std::move(body);
    r.client = std::move(client);
    if (!bearer.empty()) r.headers["Authorization"] = "Bearer " + bearer;
    for (const auto& [k, v] : headers) r.headers[k] = v;
    return service->handle(r);
  }
};

}  // namespace certledger::api::testing
