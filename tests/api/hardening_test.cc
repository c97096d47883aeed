// The holes a hostile user found (issue "Hardening"), one test each, against
// Service::handle without sockets. Socket-level findings (request smuggling,
// timeouts, connection caps, the backup route, file modes) are in
// tests/system/hardening.py; the replica's in tests/system/kafka_test.cc.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "api/service.h"
#include "api/views.h"
#include "ledger/domain/image.h"
#include "ops/demo/samples.h"
#include "ledger/util/encoding.h"
#include "ledger/util/hash.h"
#include "ledger/util/json.h"
#include "ops/common/backup.h"
#include "ops/common/setup.h"
#include "projections/queries.h"
#include "tests/api/api_world.h"

namespace certledger::api {
namespace {

namespace fs = std::filesystem;
using domain::Role;
using nlohmann::json;

std::string data_url(const std::string& bytes, const char* type = "image/png") {
  return std::string("data:") + type + ";base64," + base64_encode(bytes);
}

// Two provinces, every role, two testing institutions and a person's
// certificate in Guangdong, a person's certificate in Jiangsu.
struct World : testing::ApiWorld {
  Extensions ext;
  domain::AuthorityInfo gd = demo::demo_authorities()[0], js = demo::demo_authorities()[3];
  std::map<std::string, std::string> token;  // name -> bearer
  std::string inst_a, inst_b, person_gd, person_js;
  std::string person_gd_qr;
  demo::SampleGenerator gen{11};

  World() : ApiWorld("hardening", {demo::demo_authorities()[0], demo::demo_authorities()[3]}) {
    config.service.holder_lookup_burst = 3;
    config.service.holder_lookups_per_minute = 1;
    for (auto [name, role] :
         {std::pair{"clerk", Role::clerk}, std::pair{"reviewer", Role::reviewer}, std::pair{"approver", Role::approver},
          std::pair{"auditor", Role::auditor}, std::pair{"admin", Role::admin}})
      token[std::string("gd_") + name] = *tokens->create(gd.code, role, std::string("gd.") + name);
    token["js_approver"] = *tokens->create(js.code, Role::approver, "js.approver");
    token["js_admin"] = *tokens->create(js.code, Role::admin, "js.admin");
    token["log_auditor"] = *tokens->create("", Role::auditor, "external.auditor", "", true);
    token["log_admin"] = *tokens->create("", Role::admin, "log.operator", "", true);
    inst_a = issue(gd, "testing_institution");
    inst_b = issue(gd, "testing_institution");
    person_gd = issue(gd, "special_operation");
    person_js = issue(js, "special_operation");
    person_gd_qr = projections::Reader(l.ledger->store()).certificate(person_gd)->state.token;
    token["inst_a"] = *tokens->create(gd.code, Role::institution, "a.staff", inst_a);
    token["inst_b"] = *tokens->create(gd.code, Role::institution, "b.staff", inst_b);
    make_service(ext);
  }
  void remake_service() { make_service(ext); }
  std::string issue(const domain::AuthorityInfo& a, const std::string& kind) {
    auto c = demo::sample_issue(gen, *domain::find_kind(kind), a, china_date(system_now_ms()).plus_days(-30), "t");
    auto r = l.ledger->execute(a.code, c);
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    return r.ok() ? r->state.id : "";
  }
  // As ApiWorld::call, naming the caller's token.
  Response call(std::string method, std::string target, std::string body = {}, const std::string& who = {},
                const std::map<std::string, std::string>& headers = {}) {
    return ApiWorld::call(std::move(method), std::move(target), std::move(body), who.empty() ? "" : token.at(who),
                          headers);
  }
  json issue_body(const std::string& kind, json fields_override = json::object()) {
    json fields = gen.fields(*domain::find_kind(kind), gd, china_date(system_now_ms()).plus_days(-10));
    for (auto it = fields_override.begin(); it != fields_override.end(); ++it) fields[it.key()] = it.value();
    return {{"kind", kind}, {"fields", fields}};
  }
};

// ---- 1. Nested JSON ----

TEST(Hardening, JsonNestingIsCappedWhereverJsonIsParsed) {
  EXPECT_TRUE(json_depth_within("[[[]]]", 3));
  EXPECT_FALSE(json_depth_within("[[[[]]]]", 3));
  EXPECT_TRUE(json_depth_within(R"({"a":"[[[[[[[[","b":"\"[[[["})", 1)) << "brackets inside strings do not count";
  EXPECT_TRUE(parse_json(std::string(32, '[') + std::string(32, ']')).ok());
  auto deep = parse_json(std::string(33, '[') + std::string(33, ']'), "the body");
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.error().message, "the body is nested deeper than 32 levels");
  EXPECT_FALSE(parse_json("{\"a\":").ok());
}

// The configuration is TOML: toml++ caps nesting (256) the same way.
TEST(Hardening, DeeplyNestedConfigurationIsRefused) {
  const fs::path file = fs::temp_directory_path() / ("certledger-deep-" + std::to_string(::getpid()) + ".toml");
  std::ofstream(file) << "data = " << std::string(100000, '[') << std::string(100000, ']') << "\n";
  auto c = ops::load_config_file(file.string());
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("nested"), std::string::npos) << c.error().message;
  fs::remove(file);
}

TEST(Hardening, DeeplyNestedBodiesAreRefusedWithoutACrash) {
  World w;
  const uint64_t before = w.l.ledger->store().last_position();
  const int depth = 1000000;  // 2 MB, under the body limit
  const std::string nested = std::string(depth, '[') + std::string(depth, ']');
  const std::string body = R"({"kind":"design","fields":{"number":)" + nested + "}}";
  auto r = w.call("POST", "/api/v1/certificates", body, "gd_approver", {{"Idempotency-Key", "deep-1"}});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("nested deeper than 32"), std::string::npos) << r.body;
  // Within the cap but not a field value: refused before anything copies or hashes it.
  const std::string shallow = R"({"kind":"design","fields":{"number":[[["x"]]]}})";
  r = w.call("POST", "/api/v1/certificates", shallow, "gd_approver", {{"Idempotency-Key", "deep-2"}});
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(json::parse(r.body)["field"], "number");
  // Roles that make no command are refused before the body is read.
  for (const char* who : {"gd_clerk", "gd_auditor", "gd_admin", "inst_a", "log_admin"}) {
    r = w.call("POST", "/api/v1/certificates", body, who, {{"Idempotency-Key", "deep-3"}});
    EXPECT_EQ(r.status, 403) << who << ": " << r.body;
  }
  r = w.call("POST", "/api/v1/certificates/" + w.inst_a + "/amendments",
             R"({"reason":"legal_representative_changed","changes":{"legal_representative":)" + nested + "}}",
             "gd_approver");
  EXPECT_EQ(r.status, 400) << r.body;
  r = w.call("POST", "/api/v1/reports", R"({"fields":{"report_number":)" + nested + "}}", "inst_a");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(w.l.ledger->store().last_position(), before) << "nothing was appended";
}

// ---- 2. Reads check the role ----

TEST(Hardening, InstitutionsSeeTheirOwnCertificateMaskedAndNothingElse) {
  World w;
  auto own = w.call("GET", "/api/v1/certificates/" + w.inst_a, "", "inst_a");
  ASSERT_EQ(own.status, 200) << own.body;
  auto view = projections::Reader(w.l.ledger->store()).certificate(w.inst_a);
  EXPECT_EQ(json::parse(own.body)["fields"],
            projections::public_fields(*domain::find_kind("testing_institution"), view->state.fields));
  for (const std::string& target :
       {"/api/v1/certificates/" + w.inst_b, "/api/v1/certificates/" + w.person_gd,
        "/api/v1/certificates/" + w.person_gd + "/events", "/api/v1/certificates/" + w.person_gd + "/document.pdf",
        "/api/v1/certificates/" + w.inst_a + "/events", "/api/v1/certificates/" + w.person_js})
    EXPECT_EQ(w.call("GET", target, "", "inst_a").status, 403) << target;
  const std::string id_number =
      projections::Reader(w.l.ledger->store()).certificate(w.person_gd)->state.fields["id_number"];
  auto probe = w.call("GET", "/api/v1/certificates?holder=" + id_number, "", "inst_a");
  EXPECT_EQ(probe.status, 403) << probe.body;
  EXPECT_EQ(probe.body.find(id_number), std::string::npos);
  // The authority's staff read everything of their own, nothing of others'.
  EXPECT_EQ(w.call("GET", "/api/v1/certificates/" + w.person_gd, "", "gd_clerk").status, 200);
  EXPECT_EQ(w.call("GET", "/api/v1/certificates/" + w.person_gd, "", "js_approver").status, 403);
  EXPECT_EQ(w.call("GET", "/api/v1/certificates/" + w.person_gd, "", "log_admin").status, 403)
      << "a log-wide token acts on no certificate";
}

TEST(Hardening, HolderLookupsAreRateLimitedPerToken) {
  World w;
  const std::string id_number =
      projections::Reader(w.l.ledger->store()).certificate(w.person_gd)->state.fields["id_number"];
  std::vector<int> statuses;
  for (int i = 0; i < 5; ++i)
    statuses.push_back(w.call("GET", "/api/v1/certificates?holder=" + id_number, "", "gd_reviewer").status);
  EXPECT_EQ(statuses, (std::vector<int>{200, 200, 200, 429, 429}));
  EXPECT_EQ(w.call("GET", "/api/v1/certificates?holder=" + id_number, "", "gd_approver").status, 200)
      << "another token has its own budget";
}

// ---- 3. The audit feed stays within the token's authority ----

TEST(Hardening, TheAuditFeedIsPerAuthorityUnlessTheTokenIsLogWide) {
  World w;
  auto authority_of = [&](uint64_t pos) {
    return domain::decode_envelope(pos, *w.l.ledger->store().record_at(pos))->event.authority;
  };
  auto read_all = [&](const std::string& who) {
    std::vector<uint64_t> seen;
    uint64_t after = 0;
    for (int pages = 0; pages < 100; ++pages) {
      auto r = w.call("GET", "/api/v1/events?after=" + std::to_string(after) + "&limit=2", "", who);
      EXPECT_EQ(r.status, 200) << r.body;
      json j = json::parse(r.body);
      for (const auto& e : j["events"]) seen.push_back(e["position"]);
      if (j["next_after"] == after) break;
      after = j["next_after"];
    }
    return seen;
  };
  const uint64_t last = w.l.ledger->store().last_position();
  auto gd = read_all("gd_auditor");
  ASSERT_FALSE(gd.empty());
  for (uint64_t p : gd) EXPECT_TRUE(authority_of(p) == "GD-ZJT" || authority_of(p).empty()) << p;
  size_t gd_records = 0;
  for (uint64_t p = 1; p <= last; ++p) gd_records += authority_of(p) == "GD-ZJT" || authority_of(p).empty();
  EXPECT_EQ(gd.size(), gd_records) << "every GD record, in pages";
  for (uint64_t p : read_all("js_admin")) EXPECT_NE(authority_of(p), "GD-ZJT") << p;
  auto all = read_all("log_auditor");
  ASSERT_EQ(all.size(), last);
  for (uint64_t p = 1; p <= last; ++p) EXPECT_EQ(all[p - 1], p);
  EXPECT_EQ(w.call("GET", "/api/v1/events", "", "gd_approver").status, 403);
}

// ---- 5. A server that cannot vouch for being current says so ----

TEST(Hardening, StaleServersAnswerPublicStatusWith503) {
  World w;
  std::string reason;
  w.ext.stale_reason = [&]() -> std::optional<std::string> {
    if (reason.empty()) return std::nullopt;
    return reason;
  };
  w.remake_service();
  const std::string qr = w.person_gd_qr;
  EXPECT_EQ(w.call("GET", "/api/v1/verify/" + qr).status, 200);
  EXPECT_EQ(w.call("GET", "/readyz").status, 200);
  reason = "replica halted";
  auto page = w.call("GET", "/v/" + qr);
  EXPECT_EQ(page.status, 503);
  EXPECT_NE(page.body.find("暂时无法确认"), std::string::npos);
  EXPECT_EQ(page.body.find("有效"), std::string::npos) << "never shown as valid";
  auto j = w.call("GET", "/api/v1/verify/" + qr);
  EXPECT_EQ(j.status, 503);
  EXPECT_EQ(json::parse(j.body)["type"], "https://certledger.example/problems/status-unconfirmed");
  EXPECT_EQ(w.call("GET", "/api/v1/lookup?kind=design&number=A1").status, 503);
  EXPECT_EQ(w.call("GET", "/v/" + qr + "/document.pdf").status, 503);
  EXPECT_EQ(w.call("GET", "/r/ABCDEFGHJKMNPQR").status, 503);
  auto ready = w.call("GET", "/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(json::parse(ready.body), json({{"status", "not ready"}}));
  auto detailed = w.call("GET", "/readyz", "", "gd_admin");
  EXPECT_EQ(json::parse(detailed.body)["stale"], "replica halted");
}

// ---- 7. Photos ----

std::string png_chunk(const std::string& type, const std::string& data) {
  std::string out;
  put_be64(out, data.size());
  out.erase(0, 4);
  out += type + data;
  const uint32_t crc = static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(out.data() + 4), data.size() + 4));
  std::string c;
  put_be64(c, crc);
  return out + c.substr(4);
}

std::string png(uint32_t width, uint32_t height, const std::string& raw) {
  std::string ihdr;
  put_be64(ihdr, (uint64_t{width} << 32) | height);
  ihdr += std::string("\x08\x00\x00\x00\x00", 5);
  uLongf n = compressBound(raw.size());
  std::string z(n, '\0');
  EXPECT_EQ(
      compress2(reinterpret_cast<Bytef*>(z.data()), &n, reinterpret_cast<const Bytef*>(raw.data()), raw.size(), 9),
      Z_OK);
  z.resize(n);
  return std::string("\x89PNG\r\n\x1a\n", 8) + png_chunk("IHDR", ihdr) + png_chunk("IDAT", z) + png_chunk("IEND", "");
}

TEST(Hardening, PhotosAreAuthorizedFullyCheckedThenStoredAsTheirAuthoritys) {
  World w;
  auto with_photo = [&](const std::string& photo) {
    return w.issue_body("special_operation", {{"photo", photo}}).dump();
  };
  const std::string good = demo::SampleGenerator::sample_photo_png(9);
  auto stored = [&](const std::string& bytes) { return w.l.ledger->blob(domain::photo_reference(bytes)).has_value(); };
  // A clerk's refused request stores nothing.
  EXPECT_EQ(w.call("POST", "/api/v1/certificates", with_photo(data_url(good)), "gd_clerk").status, 403);
  EXPECT_FALSE(stored(good));
  // An inflation bomb: 64x64 pixels, 20 MB of image data.
  const std::string bomb = png(64, 64, std::string(20 << 20, '\0'));
  ASSERT_LT(bomb.size(), 100000u);
  auto r = w.call("POST", "/api/v1/certificates", with_photo(data_url(bomb)), "gd_approver");
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body.find("inflates to more than"), std::string::npos) << r.body;
  // 8000 x 8000: refused from its header, never inflated.
  const std::string huge = png(8000, 8000, std::string(1000, '\0'));
  r = w.call("POST", "/api/v1/certificates", with_photo(data_url(huge)), "gd_approver");
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body.find("larger than a photo may be"), std::string::npos) << r.body;
  // Random bytes between JPEG markers.
  const std::string fake_jpeg = std::string("\xff\xd8\xff\xe0", 4) + std::string(2000, 'x') + "\xff\xd9";
  r = w.call("POST", "/api/v1/certificates", with_photo(data_url(fake_jpeg, "image/jpeg")), "gd_approver");
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body.find("does not decode"), std::string::npos) << r.body;
  for (const auto& bad : {bomb, huge, fake_jpeg}) EXPECT_FALSE(stored(bad));
  // A real JPEG is taken, and its blob is Guangdong's: Jiangsu cannot reference it.
  const std::string jpeg = demo::SampleGenerator::sample_photo_jpeg(4);
  r = w.call("POST", "/api/v1/certificates", with_photo(data_url(jpeg, "image/jpeg")), "gd_approver");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_TRUE(w.l.ledger->blob_owned_by("GD-ZJT", domain::photo_reference(jpeg)));
  EXPECT_FALSE(w.l.ledger->blob_owned_by("JS-ZJT", domain::photo_reference(jpeg)));
  json js = w.issue_body("special_operation", {{"photo", domain::photo_reference(jpeg)}});
  r = w.call("POST", "/api/v1/certificates", js.dump(), "js_approver");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(json::parse(r.body)["field"], "photo");
}

// ---- 8. Backups ----

TEST(Hardening, BackupsGoUnderTheRootIntoANewDirectoryOnly) {
  World w;
  const fs::path root = w.dir / "backups";
  for (const char* name : {"../escape", "/abs", "a/b", "..", ".", ""}) {
    auto r = ops::backup_under(*w.l.ledger, w.dir.string(), root.string(), name);
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.error().code, Errc::invalid_argument) << name;
  }
  EXPECT_FALSE(fs::exists(w.dir.parent_path() / "escape"));
  auto ok = ops::backup_under(*w.l.ledger, w.dir.string(), root.string(), "b1");
  ASSERT_TRUE(ok.ok()) << ok.error().to_string();
  EXPECT_TRUE(fs::exists(root / "b1" / "keys"));
  EXPECT_EQ(fs::status(root / "b1").permissions() & (fs::perms::group_all | fs::perms::others_all), fs::perms::none);
  auto again = ops::backup_under(*w.l.ledger, w.dir.string(), root.string(), "b1");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::already_exists);
}

// ---- 9. Smaller items ----

TEST(Hardening, MadeUpMethodsShareOneMetricLabel) {
  World w;
  for (int i = 0; i < 500; ++i) w.call("M" + std::to_string(i), "/healthz");
  const std::string m = w.metrics.render();
  EXPECT_NE(m.find("method=\"other\""), std::string::npos);
  EXPECT_EQ(m.find("method=\"M1\""), std::string::npos);
  size_t series = 0;
  for (size_t at = m.find("certledger_http_requests_total{"); at != std::string::npos;
       at = m.find("certledger_http_requests_total{", at + 1))
    ++series;
  EXPECT_LT(series, 5u);
}

TEST(Hardening, IdempotencyKeysAreBoundedAndAnsweredOnlyToWhoMayMakeTheCommand) {
  World w;
  const std::string long_key(201, 'k');
  auto r = w.call("POST", "/api/v1/certificates/" + w.inst_a + "/suspensions", R"({"reason":"x"})", "gd_approver",
                  {{"Idempotency-Key", long_key}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["field"], "Idempotency-Key");
  EXPECT_EQ(w.call("POST", "/api/v1/reports", R"({"fields":{}})", "inst_a", {{"Idempotency-Key", long_key}}).status,
            400);
  // An approver's issue replayed to a reviewer (who may not issue) would
  // hand it the approver's answer: the role comes first.
  const std::string body = w.issue_body("design").dump();
  auto first = w.call("POST", "/api/v1/certificates", body, "gd_approver", {{"Idempotency-Key", "k-1"}});
  ASSERT_EQ(first.status, 201) << first.body;
  auto replay = w.call("POST", "/api/v1/certificates", body, "gd_reviewer", {{"Idempotency-Key", "k-1"}});
  EXPECT_EQ(replay.status, 403) << replay.body;
  EXPECT_EQ(replay.body.find(json::parse(first.body)["certificate"]["id"].get<std::string>()), std::string::npos);
  EXPECT_EQ(w.call("POST", "/api/v1/certificates", body, "gd_approver", {{"Idempotency-Key", "k-1"}})
                .header("Idempotent-Replayed"),
            "true");
}

TEST(Hardening, IfMatchComparesStrongly) {
  World w;
  const std::string target = "/api/v1/certificates/" + w.inst_a + "/suspensions";
  EXPECT_EQ(w.call("POST", target, R"({"reason":"x"})", "gd_approver", {{"If-Match", "W/\"1\""}}).status, 412);
  EXPECT_EQ(w.call("POST", target, R"({"reason":"x"})", "gd_approver", {{"If-Match", "\"1\", \"2\""}}).status, 400);
  EXPECT_EQ(w.call("POST", target, R"({"reason":"x"})", "gd_approver", {{"If-Match", "\"1\""}}).status, 201);
}

TEST(Hardening, DuplicateSingleHeadersAndUndelimitedBodiesAreRefused) {
  auto dup = make_request("GET", "/", {{"Authorization", "Bearer a"}, {"authorization", "Bearer b"}}, "", "c");
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().field, "Authorization");
  for (const char* h : {"Host", "Idempotency-Key", "If-Match"})
    EXPECT_FALSE(make_request("GET", "/", {{h, "1"}, {h, "2"}}, "", "c").ok()) << h;
  auto list = make_request("GET", "/", {{"Accept", "text/html"}, {"Accept", "application/json"}}, "", "c");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->header("Accept"), "text/html, application/json");
  EXPECT_FALSE(framing_problem(false, "", true));
  EXPECT_FALSE(framing_problem(true, "chunked", false));
  EXPECT_FALSE(framing_problem(true, " Chunked ", false));
  for (const char* te : {"xchunked", "chunked, identity", "identity", "", "chunked;q=1"})
    EXPECT_EQ(framing_problem(true, te, false)->status, 400) << te;
  EXPECT_EQ(framing_problem(true, "gzip, chunked", false)->status, 501);
  EXPECT_EQ(framing_problem(true, "chunked", true)->status, 400) << "with Content-Length";
}

TEST(Hardening, ReadinessDetailsNeedAToken) {
  World w;
  auto pub = w.call("GET", "/readyz");
  EXPECT_EQ(json::parse(pub.body), json({{"status", "ready"}}));
  auto admin = w.call("GET", "/readyz", "", "gd_admin");
  EXPECT_EQ(admin.status, 200);
  EXPECT_TRUE(json::parse(admin.body).contains("last_position"));
  EXPECT_EQ(w.call("GET", "/readyz", "", "gd_clerk").status, 403);
}

TEST(Hardening, PagesCarryNosniffAndAContentSecurityPolicy) {
  World w;
  auto page = w.call("GET", "/v/" + w.person_gd_qr);
  ASSERT_EQ(page.status, 200);
  const std::string bytes = serialize(page, true, false);
  EXPECT_NE(bytes.find("\r\nX-Content-Type-Options: nosniff\r\n"), std::string::npos);
  EXPECT_EQ(serialize(Response::text(200, "{}", "application/json"), true, false).find("Content-Security-Policy"),
            std::string::npos)
      << "only pages get the default policy";
  // The verify page runs one script, its proof verifier, from this server,
  // checked by its hash (subresource integrity); no inline script runs. The
  // proof it checks is data, not script.
  EXPECT_NE(page.body.find("<script type=\"application/json\" id=\"certledger-proof\">"), std::string::npos);
  EXPECT_EQ(page.body.find("<script>"), std::string::npos) << "no inline script";
  EXPECT_EQ(page.header("Content-Security-Policy"), std::string(kPageCsp) + "; script-src 'self'");
  auto verifier = w.call("GET", std::string(kVerifierScriptPath));
  ASSERT_EQ(verifier.status, 200);
  EXPECT_NE(page.body.find("integrity=\"sha256-" + base64_encode(hash_bytes(sha256(verifier.body))) + "\""),
            std::string::npos)
      << "the page pins the script it loads by its hash";
  EXPECT_NE(verifier.header("Cache-Control").find("immutable"), std::string::npos);
  const auto unknown = w.call("GET", "/v/NoSuchToken");
  EXPECT_NE(serialize(unknown, true, false).find("\r\nContent-Security-Policy: " + std::string(kPageCsp) + "\r\n"),
            std::string::npos)
      << "a page without script gets the default policy";
  // The report page's one script is allowed by its hash, and only it.
  const std::string category =
      projections::Reader(w.l.ledger->store()).certificate(w.inst_a)->state.fields["scope"][0].get<std::string>();
  auto reg = w.call("POST", "/api/v1/reports",
                    json{{"fields",
                          {{"report_number", "R-1"},
                           {"project_name", "某工程"},
                           {"category", category},
                           {"test_date", china_date(system_now_ms()).to_string()},
                           {"result_summary", "合格"},
                           {"file_sha256", std::string(64, 'a')}}}}
                        .dump(),
                    "inst_a");
  ASSERT_EQ(reg.status, 201) << reg.body;
  auto report = w.call("GET", "/r/" + json::parse(reg.body)["code"].get<std::string>());
  const std::string& b = report.body;
  const auto open = b.find("<script>") + 8, close = b.find("</script>");
  ASSERT_NE(close, std::string::npos);
  const std::string script = b.substr(open, close - open);
  const std::string csp = report.header("Content-Security-Policy");
  EXPECT_EQ(serialize(report, true, false).find(std::string(kPageCsp) + "\r\n"), std::string::npos)
      << "its own policy, not the default beside it";
  EXPECT_NE(csp.find("script-src 'sha256-" + base64_encode(hash_bytes(sha256(script))) + "'"), std::string::npos)
      << csp;
}

TEST(Hardening, TlsMakesTheBaseUrlHttps) {
  ops::Config c;
  c.server.listen = "0.0.0.0:8443";
  EXPECT_EQ(c.base_url(), "http://0.0.0.0:8443");
  c.server.tls_cert = "cert.pem";
  c.server.tls_key = "key.pem";
  EXPECT_EQ(c.base_url(), "https://0.0.0.0:8443");
}

TEST(Hardening, TerminalInstitutionsRegisterNothingEvenWithTheLedgerDirectly) {
  World w;
  domain::CommandInput revoke;
  revoke.type = domain::CommandType::revoke;
  revoke.certificate_id = w.inst_a;
  revoke.reason = "出具虚假报告";
  revoke.actor = {"gd.approver", Role::approver, {}};
  ASSERT_TRUE(w.l.ledger->execute(w.gd.code, revoke).ok());
  json fields = {
      {"report_number", "R-2"},         {"project_name", "某工程"},
      {"category", "建筑材料及构配件"}, {"test_date", china_date(system_now_ms()).plus_days(-20).to_string()},
      {"result_summary", "合格"},       {"file_sha256", std::string(64, 'a')}};
  auto r = w.l.ledger->register_report(w.inst_a, fields, "a.staff");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::forbidden);
  EXPECT_EQ(w.call("GET", "/api/v1/certificates/" + w.inst_a, "", "inst_a").status, 401) << "its tokens stopped";
}

TEST(Hardening, TheStoreAndKeysAreOwnerOnlyWhateverTheUmask) {
  const fs::path dir = fs::temp_directory_path() / ("certledger-umask-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const mode_t old = ::umask(0);
  {
    ops::OpenOptions o;
    o.data_dir = dir.string();
    o.create = true;
    auto l = ops::open_data_dir(o);
    ASSERT_TRUE(l.ok());
  }
  ::umask(old);
  for (const char* d : {"", "db", "keys"})
    EXPECT_EQ(fs::status(dir / d).permissions() & (fs::perms::group_all | fs::perms::others_all), fs::perms::none)
        << (dir / d);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace certledger::api
