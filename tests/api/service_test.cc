// The HTTP API as a plain function: Service::handle(Request) -> Response,
// exercised without sockets. (The same behaviours run over real HTTP in
// tests/system/e2e_api.py.)
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "ops/common/config.h"
#include "api/service.h"
#include "ops/demo/samples.h"
#include "ops/common/setup.h"
#include "tests/api/api_world.h"
#include "tests/wait.h"

namespace certledger::api {
namespace {

namespace fs = std::filesystem;

struct Fixture : testing::ApiWorld {
  std::string approver;
  Fixture() : ApiWorld("api", demo::demo_authorities()) {
    config.service.lookup_burst = 2;
    config.service.lookup_per_minute = 1;
    approver = *tokens->create("GD-ZJT", domain::Role::approver, "li.si");
    make_service();
  }
};

TEST(Service, IssueThenVerifyWithoutSockets) {
  Fixture f;
  demo::SampleGenerator gen(1);
  auto fields = gen.fields(*domain::find_kind("design"), demo::demo_authorities()[0], Date{2026, 1, 5});
  auto r =
      f.call("POST", "/api/v1/certificates", nlohmann::json{{"kind", "design"}, {"fields", fields}}.dump(), f.approver);
  ASSERT_EQ(r.status, 201) << r.body;
  auto j = nlohmann::json::parse(r.body);
  const std::string url = j["qr_url"];
  ASSERT_EQ(url.rfind("https://v.example/v/", 0), 0u);
  const std::string token = url.substr(url.rfind('/') + 1);
  auto v = f.call("GET", "/api/v1/verify/" + token);
  ASSERT_EQ(v.status, 200);
  EXPECT_EQ(nlohmann::json::parse(v.body)["status_zh"], "有效");
  EXPECT_EQ(v.header("Cache-Control"), "no-store");
  auto page = f.call("GET", "/v/" + token);
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("有效"), std::string::npos);
  EXPECT_EQ(f.call("GET", "/v/unknown").status, 404);
}

// Rendered verify answers are reused between changes of their certificate,
// and never outlive one: the answer after an acknowledged revocation says
// so, with each answer's own time and log position.
TEST(Service, VerifyAnswersAreCachedButNeverStale) {
  Fixture f;
  // The ledger checks dates against the real clock; the service's clock is
  // moved by hand. The certificate's last valid day is today (Beijing).
  UnixMillis now = system_now_ms();
  const Date today = china_date(now);
  f.make_service(Extensions{}, [&] { return now; });
  demo::SampleGenerator gen(2);
  auto fields = gen.fields(*domain::find_kind("design"), demo::demo_authorities()[0], today.plus_days(-30));
  fields["valid_until"] = today.to_string();
  auto r =
      f.call("POST", "/api/v1/certificates", nlohmann::json{{"kind", "design"}, {"fields", fields}}.dump(), f.approver);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id = nlohmann::json::parse(r.body)["certificate"]["id"];
  const std::string url = nlohmann::json::parse(r.body)["qr_url"];
  const std::string token = url.substr(url.rfind('/') + 1);
  auto hits = [&] {
    const std::string m = f.metrics.render();
    const auto at = m.find("\ncertledger_verify_cache_hits_total ");
    return at == std::string::npos ? -1 : std::atoi(m.c_str() + at + 36);
  };
  auto verify = [&](bool html = false) {
    auto v = f.call("GET", html ? "/v/" + token : "/api/v1/verify/" + token);
    EXPECT_EQ(v.status, 200) << v.body;
    return v;
  };

  auto first = nlohmann::json::parse(verify().body);
  EXPECT_EQ(first["status"], "valid");
  EXPECT_EQ(hits(), 0);
  now += 1500;
  auto second = nlohmann::json::parse(verify().body);
  EXPECT_EQ(hits(), 1) << "the second answer comes from the cache";
  EXPECT_EQ(second["as_of"], format_rfc3339_ms(now)) << "with its own time";
  EXPECT_EQ(second["log_position"], f.l.ledger->store().last_position());
  first.erase("as_of");
  second.erase("as_of");
  EXPECT_EQ(first, second) << "and otherwise the same answer";
  auto page = verify(true);
  EXPECT_NE(page.body.find(format_rfc3339_ms(now)), std::string::npos);
  EXPECT_EQ(page.body.find('\x01'), std::string::npos);
  EXPECT_NE(verify(true).body.find("有效"), std::string::npos);
  EXPECT_EQ(hits(), 2) << "the page is cached too";

  // Expiry is a matter of the date: the next day's answer is not the cached one.
  const int before_midnight = hits();
  now = today.plus_days(1).days_since_epoch() * 86400000 - 8 * 3600000 + 1000;  // 00:00:01 tomorrow in Beijing
  EXPECT_EQ(nlohmann::json::parse(verify().body)["status"], "expired");
  EXPECT_EQ(hits(), before_midnight) << "a new day renders again";
  EXPECT_EQ(nlohmann::json::parse(verify().body)["status"], "expired");
  EXPECT_EQ(hits(), before_midnight + 1);

  // Another certificate's change does not matter; this one's does, at once.
  auto other = gen.fields(*domain::find_kind("design"), demo::demo_authorities()[0], today.plus_days(-20));
  ASSERT_EQ(
      f.call("POST", "/api/v1/certificates", nlohmann::json{{"kind", "design"}, {"fields", other}}.dump(), f.approver)
          .status,
      201);
  const uint64_t before = f.l.ledger->store().last_position();
  r = f.call("POST", "/api/v1/certificates/" + id + "/revocation", R"({"reason":"以欺骗手段取得资质"})", f.approver);
  ASSERT_EQ(r.status, 201) << r.body;
  auto revoked = nlohmann::json::parse(verify().body);
  EXPECT_EQ(revoked["status"], "revoked");
  EXPECT_GT(revoked["log_position"].get<uint64_t>(), before);
  EXPECT_NE(verify(true).body.find("已吊销"), std::string::npos);
}

TEST(Service, ErrorsAreProblemDetails) {
  Fixture f;
  auto r = f.call("POST", "/api/v1/certificates", "{\"kind\":", f.approver);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
  r = f.call("POST", "/api/v1/certificates", "{}");
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.header("WWW-Authenticate").find("Bearer"), std::string::npos);
  r = f.call("POST", "/api/v1/certificates", R"({"kind":"design","fields":{},"x":1})", f.approver);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(nlohmann::json::parse(r.body)["field"], "x");
  r = f.call("POST", "/api/v1/certificates", R"({"kind":"nope","fields":{}})", f.approver);
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(nlohmann::json::parse(r.body)["field"], "kind");
  EXPECT_EQ(f.call("PUT", "/api/v1/certificates").status, 405);
  EXPECT_EQ(f.call("GET", "/api/v1/proofs/inclusion?position=x&tree_size=1").status, 400);
  EXPECT_EQ(f.call("GET", "/nope").status, 404);
}

TEST(Service, LookupIsRateLimitedPerClient) {
  Fixture f;
  EXPECT_EQ(f.call("GET", "/api/v1/lookup?kind=design&number=A244000000").status, 404);
  EXPECT_EQ(f.call("GET", "/api/v1/lookup?kind=design&number=A244000000").status, 404);
  auto r = f.call("GET", "/api/v1/lookup?kind=design&number=A244000000");
  EXPECT_EQ(r.status, 429);
  EXPECT_FALSE(r.header("Retry-After").empty());
}

TEST(Service, RevokedTokensStopWorking) {
  Fixture f;
  auto list = f.tokens->list();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_NE(list->front().hash.find_first_not_of("0123456789abcdef"), 0u);
  EXPECT_EQ(f.approver.find(list->front().hash), std::string::npos);  // only the hash is stored
  EXPECT_EQ(f.call("GET", "/api/v1/certificates?holder=x", "", f.approver).status, 200);
  ASSERT_TRUE(f.tokens->revoke(list->front().id).ok());
  // The store rereads its file on change.
  EXPECT_TRUE(certledger::testing::wait_until(
      [&] { return f.call("GET", "/api/v1/certificates?holder=x", "", f.approver).status == 401; }));
}

TEST(Config, FlagsOverrideTheFileAndBadFilesAreRefused) {
  auto dir = fs::temp_directory_path() / ("certledger-cfg-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "ok.toml") << "data = \"/srv/a\"\nlisten = \"0.0.0.0:9000\"\nworkers = 8\n"
                                    "[kafka_properties]\n\"security.protocol\" = \"SSL\"\n";
  std::string file = (dir / "ok.toml").string();
  const char* argv[] = {"ledgerd", "--config", file.c_str(), "--listen", "127.0.0.1:7000"};
  auto c = ops::parse_config(5, const_cast<char**>(argv));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->data_dir, "/srv/a");
  EXPECT_EQ(c->server.listen, "127.0.0.1:7000");
  EXPECT_EQ(c->server.workers, 8);
  EXPECT_EQ(c->kafka_properties.at("security.protocol"), "SSL");
  std::ofstream(dir / "bad.toml") << "workers = \"many\"\n";
  auto bad = ops::load_config_file((dir / "bad.toml").string());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("workers"), std::string::npos);
  std::ofstream(dir / "unknown.toml") << "colour = \"red\"\n";
  EXPECT_FALSE(ops::load_config_file((dir / "unknown.toml").string()).ok());
  const char* replica[] = {"ledgerd", "--replica"};
  EXPECT_FALSE(ops::parse_config(2, const_cast<char**>(replica)).ok()) << "--replica needs --trust";
  fs::remove_all(dir);
}

}  // namespace
}  // namespace certledger::api
