// Test reports over the API: who may register (qualified on the test date,
// category within 检测范围), the public check then and now, withdrawal, the
// file-hash check, and statistics.
#include <gtest/gtest.h>

#include <filesystem>

#include "api/service.h"
#include "ops/demo/samples.h"
#include "ops/common/setup.h"
#include "tests/api/api_world.h"

namespace certledger::api {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct World : testing::ApiWorld {
  std::string approver, institution_token, cert;
  domain::AuthorityInfo gd = demo::demo_authorities()[0];

  World() : ApiWorld("reports", {demo::demo_authorities()[0]}) {
    approver = *tokens->create(gd.code, domain::Role::approver, "li.si");
    make_service();
    // A testing institution qualified for 钢结构 and 地基基础 since last year.
    demo::SampleGenerator gen(5);
    domain::CommandInput c;
    c.type = domain::CommandType::convert;
    c.kind = "testing_institution";
    c.fields = gen.fields(*domain::find_kind(c.kind), gd, china_date(system_now_ms()).plus_days(-365));
    c.fields["scope"] = json::array({"钢结构", "地基基础"});
    c.actor = {"li.si", domain::Role::approver, {}};
    auto r = l.ledger->execute(gd.code, c);
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    cert = r->state.id;
    institution_token = *tokens->create(gd.code, domain::Role::institution, "检测员王", cert);
  }
  json report(const std::string& category, int days_ago, const std::string& number) {
    return {{"fields",
             {{"report_number", number},
              {"project_name", "广州某住宅项目"},
              {"category", category},
              {"test_date", china_date(system_now_ms()).plus_days(-days_ago).to_string()},
              {"result_summary", "符合要求"},
              {"file_sha256", std::string(64, 'c')}}}};
  }
  Response command(const std::string& op, const std::string& reason) {
    return call("POST", "/api/v1/certificates/" + cert + "/" + op, json{{"reason", reason}}.dump(), approver);
  }
};

TEST(Reports, QualifiedOnTheTestDateAndWithinScope) {
  World w;
  auto out_of_scope = w.call("POST", "/api/v1/reports", w.report("室内环境检测", 2, "R-1").dump(), w.institution_token);
  ASSERT_EQ(out_of_scope.status, 409) << out_of_scope.body;
  EXPECT_NE(out_of_scope.body.find("检测范围"), std::string::npos);
  EXPECT_EQ(json::parse(out_of_scope.body)["field"], "category");

  ASSERT_EQ(w.command("suspensions", "质量事故调查").status, 201);
  auto suspended = w.call("POST", "/api/v1/reports", w.report("钢结构", 0, "R-2").dump(), w.institution_token);
  ASSERT_EQ(suspended.status, 409) << suspended.body;
  EXPECT_NE(suspended.body.find("suspended"), std::string::npos);
  // A report tested before the suspension was recorded is still fine.
  auto before = w.call("POST", "/api/v1/reports", w.report("钢结构", 30, "R-3").dump(), w.institution_token);
  EXPECT_EQ(before.status, 201) << before.body;

  ASSERT_EQ(w.command("reinstatements", "整改完成").status, 201);
  auto ok = w.call("POST", "/api/v1/reports", w.report("钢结构", 0, "R-4").dump(), w.institution_token);
  ASSERT_EQ(ok.status, 201) << ok.body;
  auto dup = w.call("POST", "/api/v1/reports", w.report("钢结构", 0, "R-4").dump(), w.institution_token);
  EXPECT_EQ(dup.status, 409) << "a report number is registered once";
  // Only institution tokens register; an approver's does not.
  EXPECT_EQ(w.call("POST", "/api/v1/reports", w.report("钢结构", 0, "R-5").dump(), w.approver).status, 403);
}

TEST(Reports, PublicCheckShowsThenAndNowWithdrawalAndFileHash) {
  World w;
  auto reg = w.call("POST", "/api/v1/reports", w.report("地基基础", 1, "R-9").dump(), w.institution_token);
  ASSERT_EQ(reg.status, 201) << reg.body;
  const std::string code = json::parse(reg.body)["code"];
  // The institution is revoked afterwards.
  ASSERT_EQ(w.command("revocation", "出具虚假报告").status, 201);
  auto check = w.call("GET", "/api/v1/reports/" + code + "/check", "", "");
  ASSERT_EQ(check.status, 200);
  json j = json::parse(check.body);
  EXPECT_EQ(j["status"], "valid");
  EXPECT_EQ(j["qualified_on_test_date"]["status"], "active");  // issued while qualified
  EXPECT_EQ(j["institution"]["status_now"], "revoked");        // and what it is today
  EXPECT_EQ(j["institution"]["status_now_zh"], "已吊销");
  auto match = w.call("GET", "/api/v1/reports/" + code + "/check?sha256=" + std::string(64, 'C'), "", "");
  EXPECT_TRUE(json::parse(match.body)["file_check"]["matches"].get<bool>());
  auto nomatch = w.call("GET", "/api/v1/reports/" + code + "/check?sha256=" + std::string(64, 'd'), "", "");
  EXPECT_FALSE(json::parse(nomatch.body)["file_check"]["matches"].get<bool>());
  auto page = w.call("GET", "/r/" + code, "", "");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("已吊销"), std::string::npos);
  // Mistyped codes are caught by the check character; unknown ones are 404.
  std::string typo = code;
  typo[5] = typo[5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(w.call("GET", "/api/v1/reports/" + typo + "/check", "", "").status, 404);

  // The revoked institution's tokens stopped working: it registers and
  // withdraws nothing, not even a report dated before the revocation.
  EXPECT_EQ(w.call("POST", "/api/v1/reports", w.report("地基基础", 5, "R-10").dump(), w.institution_token).status, 401);
  EXPECT_EQ(
      w.call("POST", "/api/v1/reports/" + code + "/withdrawal", R"({"reason":"数据错误"})", w.institution_token).status,
      401);
  // Withdrawal (作废) by the authority's approver, with a reason, shows publicly.
  auto wd = w.call("POST", "/api/v1/reports/" + code + "/withdrawal", R"({"reason":"数据错误"})", w.approver);
  ASSERT_EQ(wd.status, 201) << wd.body;
  j = json::parse(w.call("GET", "/api/v1/reports/" + code + "/check", "", "").body);
  EXPECT_EQ(j["status"], "withdrawn");
  EXPECT_EQ(j["withdraw_reason"], "数据错误");
  EXPECT_EQ(w.call("POST", "/api/v1/reports/" + code + "/withdrawal", R"({"reason":"again"})", w.approver).status, 409);

  // Statistics: reports per institution and category.
  auto stats = w.call("GET", "/api/v1/stats", "", w.approver);
  ASSERT_EQ(stats.status, 200);
  json s = json::parse(stats.body);
  ASSERT_EQ(s["reports"].size(), 1u);
  EXPECT_EQ(s["reports"][0]["category"], "地基基础");
  EXPECT_EQ(s["reports"][0]["count"], 1);
  auto page2 = w.call("GET", "/stats", "", "");
  EXPECT_EQ(page2.status, 200);
  EXPECT_NE(page2.body.find("<svg"), std::string::npos);
  EXPECT_NE(page2.body.find("地基基础"), std::string::npos);
}

}  // namespace
}  // namespace certledger::api
