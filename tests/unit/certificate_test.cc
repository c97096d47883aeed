#include "ledger/domain/certificate.h"

#include <gtest/gtest.h>

#include "ledger/domain/identifiers.h"
#include "ledger/util/time.h"
#include "tests/unit/domain_helpers.h"

namespace certledger::domain {
namespace {

using nlohmann::json;
using testing::at;
using testing::Harness;

TEST(Certificate, IssueBuildsVersionOneWithTokenAndELicense) {
  Harness h;
  CertificateState s;
  auto cmd = h.issue_cmd(*find_kind("testing_institution"), Date{2024, 3, 1});
  auto d = h.run(s, cmd, at(Date{2024, 3, 1}));
  ASSERT_TRUE(d.ok()) << d.error().to_string();
  EXPECT_EQ(d->type, "certificate.issued");
  EXPECT_EQ(s.status, CertStatus::active);
  EXPECT_EQ(s.doc_version, 1u);
  EXPECT_EQ(s.token, "tok1");
  auto el = parse_elicense(s.elicense);
  ASSERT_TRUE(el.ok()) << s.elicense;
  EXPECT_EQ(el->serial, cmd.certificate_id);
  EXPECT_EQ(el->issuer_code, h.authority.uscc);
  EXPECT_EQ(el->version, 1);
  ASSERT_EQ(d->unique_claims.size(), 1u);
  EXPECT_NE(d->unique_claims[0].find(cmd.fields["number"].get<std::string>()), std::string::npos);
  EXPECT_EQ(d->actor["role"], "approver");
  EXPECT_EQ(d->actor["trail"][0]["step"], "clerk");
}

TEST(Certificate, AmendmentsFollowTheirReason) {
  Harness h;
  CertificateState s;
  const KindDescriptor& k = *find_kind("construction_enterprise");
  ASSERT_TRUE(h.run(s, h.issue_cmd(k, Date{2024, 3, 1}), at(Date{2024, 3, 1})).ok());
  const UnixMillis later = at(Date{2024, 6, 1});
  CommandInput amend;
  amend.type = CommandType::amend;
  amend.reason = "legal_representative_changed";
  amend.changes = {{"address", "别处"}};
  auto r = h.run(s, amend, later);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "address");

  amend.changes = {{"legal_representative", s.fields["legal_representative"]}};
  r = h.run(s, amend, later);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("already has this value"), std::string::npos);

  amend.changes = {{"legal_representative", "赵六"}};
  ASSERT_TRUE(h.run(s, amend, later).ok());
  EXPECT_EQ(s.fields["legal_representative"], "赵六");
  EXPECT_EQ(s.doc_version, 2u);
  EXPECT_EQ(parse_elicense(s.elicense)->version, 2);

  // 增项 may only add.
  json quals = s.fields["qualifications"];
  CommandInput add;
  add.type = CommandType::amend;
  add.reason = "scope_added";
  add.changes = {{"qualifications", json::array({"仅此一项"})}};
  r = h.run(s, add, later);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("only add"), std::string::npos);
  json more = quals;
  more.push_back("消防设施工程专业承包二级");
  add.changes = {{"qualifications", more}};
  ASSERT_TRUE(h.run(s, add, later).ok());
  EXPECT_EQ(s.fields["qualifications"].size(), quals.size() + 1);

  amend.reason = "no_such_reason";
  r = h.run(s, amend, later);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "reason");
  EXPECT_NE(r.error().message.find("scope_added"), std::string::npos);
}

// 升级 raises grades on each kind's ladder (特级 > 一级 > 二级 > 三级; 甲级 >
// 乙级 > 丙级; 综合类 > 专项类): no downgrade, no removal, no new category,
// at least one grade higher. 增项 adds categories not held. Each refusal is
// invalid_argument (422) naming the field.
TEST(Certificate, UpgradesOnlyRaiseGradesAndAdditionsOnlyAddCategories) {
  Harness h;
  const KindDescriptor& k = *find_kind("construction_enterprise");
  CertificateState s;
  auto issue = h.issue_cmd(k, Date{2024, 3, 1});
  issue.fields["qualifications"] =
      json::array({"建筑工程施工总承包二级", "市政公用工程施工总承包三级", "地基基础工程专业承包一级"});
  ASSERT_TRUE(h.run(s, issue, at(Date{2024, 3, 1})).ok());
  const UnixMillis later = at(Date{2024, 6, 1});
  CommandInput up;
  up.type = CommandType::amend;
  up.reason = "grade_raised";
  auto refused = [&](json list, const char* words) {
    up.changes = {{"qualifications", std::move(list)}};
    CertificateState copy = s;
    auto r = h.run(copy, up, later);
    EXPECT_FALSE(r.ok()) << words;
    if (r.ok()) return;
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
    EXPECT_EQ(r.error().field, "qualifications");
    EXPECT_NE(r.error().message.find(words), std::string::npos) << r.error().message;
  };
  // The report that opened the issue: three qualifications became one 三级.
  refused(json::array({"建筑工程施工总承包三级"}), "lower");
  refused(json::array({"建筑工程施工总承包一级", "市政公用工程施工总承包三级"}), "remove");
  refused(json::array({"建筑工程施工总承包一级", "市政公用工程施工总承包三级", "地基基础工程专业承包一级",
                       "钢结构工程专业承包三级"}),
          "new category");
  refused(json::array({"建筑工程施工总承包二级", "市政公用工程施工总承包三级", "地基基础工程专业承包一级",
                       "建筑工程施工总承包一级"}),
          "twice");
  refused(json::array({"市政公用工程施工总承包三级", "建筑工程施工总承包二级", "地基基础工程专业承包一级"}),
          "none is higher");
  refused(json::array({"建筑工程施工总承包一级", "市政公用工程施工总承包", "地基基础工程专业承包一级"}), "has none");
  refused(json::array({"建筑工程施工总承包一级", "市政公用工程施工总承包四级", "地基基础工程专业承包一级"}),
          "new category");
  up.changes = {{"qualifications",
                 json::array({"建筑工程施工总承包特级", "市政公用工程施工总承包三级", "地基基础工程专业承包一级"})}};
  auto r = h.run(s, up, later);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(s.fields["qualifications"][0], "建筑工程施工总承包特级");

  // 增项: a new category only, not another grade of one held.
  CommandInput add;
  add.type = CommandType::amend;
  add.reason = "scope_added";
  json more = s.fields["qualifications"];
  more.push_back("市政公用工程施工总承包一级");
  add.changes = {{"qualifications", more}};
  r = h.run(s, add, later);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("升级"), std::string::npos) << r.error().message;
  more = s.fields["qualifications"];
  more.push_back("钢结构工程专业承包三级");
  add.changes = {{"qualifications", more}};
  ASSERT_TRUE(h.run(s, add, later).ok());

  // A single grade field: 专项类 -> 综合类 is 升级, the way back is refused.
  const KindDescriptor& ti = *find_kind("testing_institution");
  CertificateState t;
  auto ti_issue = h.issue_cmd(ti, Date{2024, 3, 1});
  ti_issue.fields["grade"] = "专项类";
  ASSERT_TRUE(h.run(t, ti_issue, at(Date{2024, 3, 1})).ok());
  up.changes = {{"grade", "综合类"}};
  ASSERT_TRUE(h.run(t, up, later).ok());
  up.changes = {{"grade", "专项类"}};
  r = h.run(t, up, later);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("lower"), std::string::npos);
}

TEST(Certificate, ConvertOnlyWhilePaperIsInForce) {
  Harness h;
  const KindDescriptor& k = *find_kind("safety_license");
  CertificateState s;
  auto cmd = h.issue_cmd(k, Date{2020, 1, 10});
  cmd.type = CommandType::convert;
  auto r = h.run(s, cmd, at(Date{2024, 1, 1}));  // 3-year validity ended 2023-01-09
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::rule_violation);
  cmd = h.issue_cmd(k, Date{2022, 5, 10});
  cmd.type = CommandType::convert;
  r = h.run(s, cmd, at(Date{2024, 1, 1}));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->data["source"], "paper");
  EXPECT_EQ(r->type, "certificate.converted");
}

TEST(Certificate, ReissueRenewSuspendReinstateRevoke) {
  Harness h;
  const KindDescriptor& k = *find_kind("special_operation");
  CertificateState s;
  ASSERT_TRUE(h.run(s, h.issue_cmd(k, Date{2024, 3, 1}), at(Date{2024, 3, 1})).ok());
  const UnixMillis t = at(Date{2025, 1, 1});
  CommandInput c;
  c.type = CommandType::reissue;
  c.reason = "stolen";
  ASSERT_FALSE(h.run(s, c, t).ok());
  c.reason = "lost";
  ASSERT_TRUE(h.run(s, c, t).ok());
  EXPECT_EQ(s.doc_version, 2u);
  EXPECT_EQ(s.token, "tok2");

  c = {};
  c.type = CommandType::review;
  c.valid_until = "2025-06-01";  // earlier than the current 2026-02-28
  auto r = h.run(s, c, t);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "valid_until");
  c.valid_until = "2028-02-28";
  ASSERT_TRUE(h.run(s, c, t).ok());
  EXPECT_EQ(s.fields["valid_until"], "2028-02-28");
  EXPECT_EQ(s.doc_version, 3u);

  c = {};
  c.type = CommandType::suspend;
  r = h.run(s, c, t);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "reason");
  c.reason = "安全生产事故调查";
  c.until = "2025-03-01";
  ASSERT_TRUE(h.run(s, c, t).ok());
  EXPECT_EQ(s.status, CertStatus::suspended);
  EXPECT_EQ(s.suspended_until, "2025-03-01");
  EXPECT_EQ(s.status_reason, "安全生产事故调查");

  c = {};
  c.type = CommandType::reinstate;
  ASSERT_TRUE(h.run(s, c, t + 1).ok());
  EXPECT_EQ(s.status, CertStatus::active);

  c = {};
  c.type = CommandType::revoke;
  c.reason = "违法违规";
  c.decision = "苏建罚〔2025〕12号";
  auto d = h.run(s, c, t + 2);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->data["decision"], "苏建罚〔2025〕12号");
  EXPECT_EQ(s.status, CertStatus::revoked);
  EXPECT_EQ(s.doc_version, 3u);  // status changes make no new document
}

TEST(Certificate, RolesAndAuthoritiesAreEnforced) {
  Harness h;
  CertificateState s;
  auto cmd = h.issue_cmd(*find_kind("design"), Date{2024, 3, 1});
  cmd.actor = Actor{"wang.wu", Role::clerk, {}};
  auto r = h.run(s, cmd, at(Date{2024, 3, 1}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::forbidden);
  cmd.actor = Actor{"wang.wu", Role::approver, {{"boss", "x", ""}}};
  r = h.run(s, cmd, at(Date{2024, 3, 1}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "actor.trail");
  cmd.actor = {};
  ASSERT_TRUE(h.run(s, cmd, at(Date{2024, 3, 1})).ok());

  AuthorityInfo other = demo::demo_authorities()[1];
  CommandInput c;
  c.type = CommandType::cancel;
  c.reason = "企业申请";
  c.actor = Harness::approver();
  auto d = decide(s, c, DecideContext{at(Date{2024, 4, 1}), &other, [] { return "t"; }});
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, Errc::forbidden);
}

TEST(Certificate, UnknownKindListsTheKnownOnes) {
  Harness h;
  CertificateState s;
  CommandInput c;
  c.type = CommandType::issue;
  c.kind = "driving_licence";
  c.certificate_id = new_certificate_id(0);
  c.actor = Harness::approver();
  auto r = decide(s, c, h.ctx(at(Date{2024, 1, 1})));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "kind");
  EXPECT_NE(r.error().message.find("safety_license"), std::string::npos);
}

TEST(Certificate, ApplyRejectsEventsThatDoNotFollow) {
  Harness h;
  CertificateState s;
  auto cmd = h.issue_cmd(*find_kind("survey"), Date{2024, 3, 1});
  ASSERT_TRUE(h.run(s, cmd, at(Date{2024, 3, 1})).ok());
  Event e;
  e.type = "certificate.cancelled";
  e.stream = s.id;
  e.kind = s.kind;
  e.authority = s.authority;
  e.seq = 3;  // gap
  e.prev = s.last_hash;
  e.data = {{"reason", "x"}};
  auto copy = s;
  EXPECT_EQ(apply_event(copy, e, "00").error().code, Errc::corruption);
  e.seq = 2;
  e.prev = std::string(64, '0');
  EXPECT_EQ(apply_event(copy, e, "00").error().code, Errc::corruption);
  e.prev = s.last_hash;
  e.type = "certificate.issued";
  EXPECT_EQ(apply_event(copy, e, "00").error().code, Errc::corruption);
  e.type = "certificate.cancelled";
  EXPECT_TRUE(apply_event(copy, e, "00").ok());
}

TEST(Event, SerializeParseRoundTripAndStrictness) {
  Event e;
  e.id = "0190f3a2-0000-7000-8000-000000000000";
  e.type = "certificate.issued";
  e.stream = "01JD3Q7ZK5ABCDEFGHJKMNPQRS";
  e.seq = 1;
  e.authority = "GD-ZJT";
  e.kind = "design";
  e.actor = {{"operator", "a"}, {"role", "approver"}, {"trail", json::array()}};
  e.time = 1732350000123;
  e.data = {{"fields", {{"holder_name", "广州某公司"}}}};
  std::string bytes = serialize_event(e);
  EXPECT_NE(bytes.find("\"time\":\"2024-11-23T08:20:00.123Z\""), std::string::npos);
  EXPECT_NE(bytes.find("广州某公司"), std::string::npos);  // UTF-8, not \u escapes
  auto back = parse_event(bytes);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(serialize_event(*back), bytes);
  EXPECT_EQ(back->time, e.time);

  auto mutate = [&](const char* key, json v) {
    json j = json::parse(bytes);
    if (v.is_discarded()) j.erase(key);
    else j[key] = v;
    return parse_event(j.dump());
  };
  EXPECT_TRUE(mutate("v", 1).ok());  // format 1 is still read
  EXPECT_FALSE(mutate("v", 3).ok());
  EXPECT_FALSE(mutate("v", 0).ok());
  EXPECT_FALSE(mutate("seq", 0).ok());
  EXPECT_FALSE(mutate("seq", 2).ok());  // seq 2 with prev null
  EXPECT_FALSE(mutate("prev", "abc").ok());
  EXPECT_FALSE(mutate("time", "yesterday").ok());
  EXPECT_FALSE(mutate("extra", 1).ok());
  EXPECT_FALSE(mutate("data", json(json::value_t::discarded)).ok());
  EXPECT_FALSE(parse_event("[1,2]").ok());
  EXPECT_FALSE(parse_event("{not json").ok());
}

TEST(Event, EnvelopeAgreesWithTheStrictParse) {
  Event e;
  e.id = "0190f3a2-0000-7000-8000-000000000000";
  e.type = "certificate.changed";
  e.stream = "01JD3Q7ZK5ABCDEFGHJKMNPQRS";
  e.seq = 7;
  e.authority = "GD-ZJT";
  e.kind = "design";
  e.actor = {{"operator", "a"}, {"role", "approver"}, {"trail", json::array({{{"step", "clerk"}, {"opinion", "ok"}}})}};
  e.time = 1732350000123;
  // Nested values full of what could end a naive scan: brackets and quotes
  // inside strings, escapes, members named like envelope members.
  e.data = {{"fields", {{"holder_name", "广州\"}某]公司\\"}, {"type", "x"}, {"seq", 99}}},
            {"list", json::array({json::array({1, 2}), json::object(), "]}", nullptr, true, -1.5e3})}};
  e.prev = std::string(64, 'a');
  const std::string bytes = serialize_event(e);

  auto same = [](const Result<EventEnvelope>& env, const Event& full) {
    ASSERT_TRUE(env.ok()) << env.error().message;
    EXPECT_EQ(env->v, full.v);
    EXPECT_EQ(env->type, full.type);
    EXPECT_EQ(env->stream, full.stream);
    EXPECT_EQ(env->authority, full.authority);
    EXPECT_EQ(env->kind, full.kind);
    EXPECT_EQ(env->seq, full.seq);
    EXPECT_EQ(env->time, full.time);
  };
  same(parse_event_envelope(bytes), e);
  same(parse_event_envelope(json::parse(bytes).dump(2)), e);  // any whitespace
  // An escape in an envelope string: the strict parse decides, same answer.
  std::string escaped = bytes;
  escaped.replace(escaped.find("\"certificate.changed\""), 21, "\"certificate.\\u0063hanged\"");
  same(parse_event_envelope(escaped), e);
  // The Harness's events for every kind: the envelope reads what parse_event reads.
  testing::Harness h;
  for (const auto& k : all_kinds()) {
    CertificateState s;
    auto cmd = h.issue_cmd(k, Date{2026, 3, 1});
    auto d = h.run(s, cmd, testing::at(Date{2026, 3, 1}));
    ASSERT_TRUE(d.ok()) << k.code;
    Event ev;
    ev.id = "0190f3a2-0000-7000-8000-000000000001";
    ev.type = d->type;
    ev.stream = cmd.certificate_id;
    ev.seq = 1;
    ev.authority = h.authority.code;
    ev.kind = std::string(k.code);
    ev.actor = d->actor;
    ev.time = testing::at(Date{2026, 3, 1});
    ev.data = d->data;
    same(parse_event_envelope(serialize_event(ev)), ev);
    // The record's bytes are the dump of the event as one object, members
    // in key order: serialize_event writes them directly, to the byte.
    json tree = {{"v", ev.v},         {"id", ev.id},
                 {"type", ev.type},   {"stream", ev.stream},
                 {"seq", ev.seq},     {"authority", ev.authority},
                 {"actor", ev.actor}, {"time", format_rfc3339_ms(ev.time)},
                 {"data", ev.data},   {"prev", nullptr},
                 {"kind", ev.kind}};
    EXPECT_EQ(serialize_event(ev), tree.dump(-1, ' ', false, json::error_handler_t::strict)) << k.code;
    ev.prev = std::string(64, 'a');
    ev.kind.clear();
    tree["prev"] = ev.prev;
    tree.erase("kind");
    EXPECT_EQ(serialize_event(ev), tree.dump(-1, ' ', false, json::error_handler_t::strict)) << k.code;
  }

  // Errors, each with a message, never a crash or a wrong answer.
  auto bad = [](std::string_view text) {
    auto r = parse_event_envelope(text);
    EXPECT_FALSE(r.ok()) << text;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, Errc::corruption);
    }
  };
  bad("");
  bad("[1,2]");
  bad("{not json");
  bad(bytes.substr(0, bytes.size() - 1));                                // unterminated object
  bad(bytes + "x");                                                      // trailing bytes
  bad(bytes.substr(0, bytes.find("\"list\"") + 10));                     // cut inside a nested value
  bad(std::string(bytes).replace(bytes.find("[[1,2]"), 1, "{"));         // mismatched brackets
  bad(std::string(bytes).replace(bytes.find("\"ok\""), 4, "\"o\nk\""));  // raw control character
  auto mutate = [&](const char* key, json v) {
    json j = json::parse(bytes);
    if (v.is_discarded()) j.erase(key);
    else j[key] = v;
    return j.dump();
  };
  bad(mutate("v", 3));
  bad(mutate("v", 0));
  bad(mutate("v", "1"));
  bad(mutate("seq", 0));
  bad(mutate("seq", -3));
  bad(mutate("seq", 1.5));
  bad(mutate("time", "yesterday"));
  bad(mutate("type", 5));
  for (const char* k : {"v", "type", "stream", "seq", "authority", "time"})
    bad(mutate(k, json(json::value_t::discarded)));
  EXPECT_TRUE(parse_event_envelope(mutate("kind", json(json::value_t::discarded))).ok());
}

TEST(Event, StreamIdentifiers) {
  EXPECT_TRUE(is_certificate_id(new_certificate_id(1732350000123)));
  EXPECT_FALSE(is_certificate_id("01JD3Q7ZK5ABCDEFGHJKMNPQRI"));  // I is not Crockford
  EXPECT_FALSE(is_certificate_id("short"));
  EXPECT_TRUE(check_authority_code("GD-ZJT").ok());
  EXPECT_FALSE(check_authority_code("gd").ok());
  EXPECT_FALSE(check_authority_code("1GD").ok());
  EXPECT_FALSE(check_authority_code("G").ok());
}

}  // namespace
}  // namespace certledger::domain
