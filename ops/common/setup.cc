#include "ops/common/setup.h"

#include <fstream>
#include <sstream>

#include "ops/demo/samples.h"
#include "ledger/merkle/checkpoint.h"
#include "ledger/merkle/cosignature.h"
#include "projections/queries.h"
#include "ledger/util/hash.h"
#include "ledger/util/json.h"
#include <random>

namespace certledger::ops {

using nlohmann::json;

std::vector<projections::Projection*> OpenLedger::projection_ptrs() const {
  std::vector<projections::Projection*> out;
  for (const auto& p : projections) out.push_back(p.get());
  return out;
}

Result<OpenLedger> open_data_dir(const OpenOptions& o) {
  OpenLedger out;
  out.projections = projections::standard_projections();
  LedgerOptions lo;
  lo.data_dir = o.data_dir;
  lo.create = o.create;
  lo.read_only = o.read_only;
  lo.replica = o.replica;
  lo.origin = o.origin;
  lo.policy = o.policy;
  if (const char* pass = std::getenv("CERTLEDGER_KEY_PASSPHRASE")) lo.key_passphrase = pass;
  lo.contributors = projections::as_contributors(out.projections);
  auto ptrs = out.projection_ptrs();
  auto progress = o.progress;
  lo.before_start = [ptrs, progress](store::EventStore& s) { return projections::catch_up(s, ptrs, progress); };
  lo.checkpoint_extensions = projections::checkpoint_extensions;
  CL_ASSIGN(out.ledger, Ledger::open(lo));
  return out;
}

json trust_document(const Ledger& ledger) {
  return {{"logs", json::array({{{"origin", ledger.origin()}, {"log_key", ledger.log_verifier_key()}}})}};
}

Result<std::vector<TrustedLog>> read_trust_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error(Errc::io_error, "cannot read trust file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_trust_document(ss.str(), path);
}

namespace {

// The policy of one JSON trust entry: "policy" text, or witnesses + quorum.
Result<std::optional<merkle::Policy>> entry_policy(const json& l, const merkle::PolicyLog& log,
                                                   const std::string& where) {
  auto bad = [&](const std::string& why) { return make_error(Errc::invalid_argument, where + ": " + why); };
  if (l.contains("policy")) {
    if (!l["policy"].is_string()) return bad("policy must be the text of a C2SP tlog-policy");
    if (l.contains("witnesses") || l.contains("quorum")) return bad("give either policy or witnesses and quorum");
    auto p = merkle::Policy::parse(l["policy"].get<std::string>());
    if (!p.ok()) return bad(p.error().message);
    for (const auto& pl : p->logs())
      if (pl.key.raw() != log.key.raw()) return bad("the policy's log line names another key than log_key");
    return std::optional<merkle::Policy>(std::move(*p));
  }
  if (!l.contains("witnesses") && !l.contains("quorum")) return std::optional<merkle::Policy>();
  std::vector<merkle::PolicyWitness> witnesses;
  if (l.contains("witnesses")) {
    if (!l["witnesses"].is_array()) return bad("witnesses must be a list of {name, key, url}");
    for (const auto& w : l["witnesses"]) {
      if (!w.is_object() || !w.contains("key") || !w["key"].is_string() ||
          (w.contains("name") && !w["name"].is_string()) || (w.contains("url") && !w["url"].is_string()))
        return bad("a witness is {\"key\": \"<cosigner verifier key>\", \"name\", \"url\"}");
      auto v = merkle::parse_cosigner_verifier_key(w["key"].get<std::string>());
      if (!v.ok()) return bad("witness key: " + v.error().message);
      witnesses.push_back({w.value("name", v->first), v->first, std::move(v->second), w.value("url", "")});
    }
  }
  size_t k = witnesses.size();
  if (l.contains("quorum")) {
    const json& q = l["quorum"];
    if (q.is_number_unsigned()) {
      k = q.get<size_t>();
      if (k == 0 || k > witnesses.size())
        return bad("quorum must be 1.." + std::to_string(witnesses.size()) +
                   " (the witnesses listed), all, any or none");
    } else if (q == "none") {
      k = 0;
    } else if (q == "any") {
      k = std::min<size_t>(1, witnesses.size());
    } else if (q != "all") {
      return bad("quorum must be a number of witnesses, all, any or none");
    }
    if (k == 0 && q != "none") return bad("a quorum needs witnesses");
  }
  auto p = merkle::Policy::threshold({log}, std::move(witnesses), k);
  if (!p.ok()) return bad(p.error().message);
  return std::optional<merkle::Policy>(std::move(*p));
}

// The URL name of a log: letters, digits, '.' and '-' of its origin, the
// rest '-' (a "/" in "gd.example/log" too).
std::string url_name(std::string_view origin) {
  std::string out;
  for (char ch : origin) {
    const bool keep =
        (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '-';
    out += keep ? ch : '-';
  }
  return out;
}

bool valid_url_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 && url_name(name) == name && name != "." && name != "..";
}

// A C2SP tlog-policy file: its logs, each with the whole policy.
Result<std::vector<TrustedLog>> policy_trust(std::string_view text, const std::string& path) {
  auto p = merkle::Policy::parse(text);
  if (!p.ok()) return make_error(Errc::invalid_argument, path + ": " + p.error().message);
  if (p->logs().empty()) return make_error(Errc::invalid_argument, path + ": the policy names no log");
  std::vector<TrustedLog> out;
  for (const auto& l : p->logs()) out.push_back({l.origin, l.key, *p, "", "", url_name(l.origin)});
  return out;
}

}  // namespace

Result<std::vector<TrustedLog>> parse_trust_document(std::string_view text, const std::string& path) {
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && text[first] != '{') return policy_trust(text, path);
  const Error shape = make_error(Errc::invalid_argument, path + ": expected {\"logs\": [{\"origin\", \"log_key\"}]}");
  auto j = parse_json(text, path);
  if (!j.ok()) return make_error(Errc::invalid_argument, j.error().message);
  if (!j->is_object() || !j->contains("logs") || !(*j)["logs"].is_array()) return shape;
  std::vector<TrustedLog> out;
  for (const auto& l : (*j)["logs"]) {
    if (!l.is_object() || !l.contains("origin") || !l["origin"].is_string() || !l.contains("log_key") ||
        !l["log_key"].is_string())
      return shape;
    auto vkey = merkle::parse_note_verifier_key(l.value("log_key", ""));
    if (!vkey.ok()) return make_error(Errc::invalid_argument, path + ": " + vkey.error().message);
    if (vkey->first != l.value("origin", ""))
      return make_error(Errc::invalid_argument, path + ": log_key name differs from origin");
    for (const auto& seen : out)
      if (seen.origin == vkey->first)
        return make_error(Errc::invalid_argument, path + ": " + seen.origin + " listed twice");
    CL_ASSIGN(auto policy, entry_policy(l, {vkey->first, vkey->second, ""}, path + ": " + vkey->first));
    TrustedLog t{vkey->first, std::move(vkey->second), std::move(policy), "", "", url_name(vkey->first)};
    const std::string where = path + ": " + t.origin + ": ";
    if (l.contains("name")) {
      if (!l["name"].is_string() || !valid_url_name(l["name"].get<std::string>()))
        return make_error(Errc::invalid_argument, where + "name must be 1-64 letters, digits, '.' or '-'");
      t.name = l["name"].get<std::string>();
    }
    if (l.contains("kafka")) {
      const json& k = l["kafka"];
      if (!k.is_object() || !k.contains("bootstrap") || !k["bootstrap"].is_string() ||
          k["bootstrap"].get<std::string>().empty() || (k.contains("prefix") && !k["prefix"].is_string()))
        return make_error(Errc::invalid_argument, where + "kafka must be {\"bootstrap\": \"host:port\", \"prefix\"}");
      t.kafka_bootstrap = k["bootstrap"].get<std::string>();
      t.kafka_prefix = k.value("prefix", "");
    }
    for (const auto& seen : out)
      if (seen.name == t.name) return make_error(Errc::invalid_argument, where + "the name " + t.name + " is taken");
    out.push_back(std::move(t));
  }
  return out;
}

namespace {

std::string city_of(const domain::AuthorityInfo& a) {
  if (a.region.rfind("21", 0) == 0) return "沈阳";
  if (a.region.rfind("35", 0) == 0) return "福州";
  if (a.region.rfind("32", 0) == 0) return "南京";
  return "广州";
}

domain::Actor demo_actor(const std::string& who) {
  return domain::Actor{who,
                       domain::Role::approver,
                       {{"clerk", "chen.li", ""}, {"review", "zhou.min", "材料齐全"}, {"approve", who, "同意"}}};
}

// A lifecycle command on a demo certificate, with the values it needs
// (new validity, an amendment's changes) drawn from the generator.
Status demo_command(Ledger& ledger, demo::SampleGenerator& gen, const domain::KindDescriptor& kind,
                    const domain::AuthorityInfo& a, const std::string& id, domain::CommandType t, std::string reason,
                    const domain::Actor& actor) {
  domain::CommandInput x;
  x.type = t;
  x.certificate_id = id;
  x.reason = std::move(reason);
  x.actor = actor;
  if (t == domain::CommandType::renew || t == domain::CommandType::review) {
    auto s = ledger.load(id);
    if (!s.ok()) return s.error();
    x.valid_until = s->valid_until()->plus_years(kind.validity_years).to_string();
  }
  if (t == domain::CommandType::amend) {
    const auto& why = kind.amend_reasons.front();
    x.reason = std::string(why.code);
    std::string field(why.fields.front());
    x.changes = {{field, kind.field(field)->type == domain::FieldType::uscc
                             ? json(gen.uscc(a.region.substr(0, 2) + "0100"))
                         : field == "name" ? json(gen.person_name())
                                           : json(gen.company_name(city_of(a)))}};
    if (field == "legal_representative" || field == "principal") x.changes[field] = gen.person_name();
    if (field == "registered_capital") x.changes[field] = "8000万元";
  }
  auto r = ledger.execute(a.code, std::move(x));
  if (!r.ok()) return r.error();
  return {};
}

// One line per version of each certificate: what its QR shows today.
Result<std::vector<DemoLine>> demo_lines(Ledger& ledger, const std::vector<std::string>& ids, const std::string& base,
                                         Date today) {
  std::vector<DemoLine> lines;
  projections::Reader reader(ledger.store());
  for (const auto& id : ids) {
    CL_ASSIGN(auto view, reader.certificate(id));
    for (const auto& v : view.versions) {
      auto pv = projections::public_view(view, v.version, today);
      lines.push_back({view.state.kind, view.state.fields.value("number", ""),
                       projections::public_status_word(pv.status), base + "/v/" + v.token, id, v.version});
    }
  }
  return lines;
}

}  // namespace

Result<std::vector<DemoLine>> run_demo(Ledger& ledger, const std::string& base, uint64_t seed) {
  const auto auths = demo::demo_authorities();
  const crypto::KeyAlg algs[] = {crypto::KeyAlg::ed25519, crypto::KeyAlg::sm2, crypto::KeyAlg::es256,
                                 crypto::KeyAlg::ed25519};
  for (size_t i = 0; i < auths.size(); ++i)
    if (!ledger.authority(auths[i].code)) CL_TRY(ledger.register_authority(auths[i], algs[i], "demo"));

  // Each run adds new data: the seed moves with the log.
  demo::SampleGenerator gen(seed + ledger.store().last_position());
  std::vector<std::string> ids;
  const Date today = china_date(ledger.options().clock());
  auto actor = demo_actor("huang.zhiqiang");
  auto exec = [&](const std::string& code, domain::CommandInput c) -> Result<Outcome> {
    c.actor = actor;
    return ledger.execute(code, std::move(c));
  };
  // Which province issues which kind (the notices' own).
  auto authority_for = [&](const domain::KindDescriptor& k) -> const domain::AuthorityInfo& {
    if (k.code == "testing_institution") return auths[0];
    if (k.seed == "001") return auths[1];
    if (k.code == "safety_license") return auths[2];
    return auths[3];
  };
  int n = 0;
  for (const auto& kind : domain::all_kinds()) {
    const auto& a = authority_for(kind);
    for (int copy = 0; copy < 4; ++copy, ++n) {
      domain::CommandInput c;
      c.type = copy == 3 ? domain::CommandType::convert : domain::CommandType::issue;
      c.kind = std::string(kind.code);
      std::string photo;
      if (kind.field("photo")) {
        CL_ASSIGN(photo, ledger.put_blob(a.code, demo::SampleGenerator::sample_photo_png(n)));
      }
      c.fields = gen.fields(kind, a, today.plus_days(-400 + n * 3), photo);
      CL_ASSIGN(Outcome issued, exec(a.code, c));
      const std::string id = issued.state.id;
      ids.push_back(id);
      auto later = [&](domain::CommandType t, std::string reason = {}) {
        return demo_command(ledger, gen, kind, a, id, t, std::move(reason), actor);
      };
      switch (copy) {
        case 0:  // the full happy life: amend, reissue after loss, renew/review
          CL_TRY(later(domain::CommandType::amend));
          CL_TRY(later(domain::CommandType::reissue, "lost"));
          if (kind.renewable) CL_TRY(later(domain::CommandType::renew));
          if (kind.reviewable) CL_TRY(later(domain::CommandType::review));
          break;
        case 1:  // suspended (and one reinstated), or cancelled
          if (kind.suspendable) {
            CL_TRY(later(domain::CommandType::suspend, "发生生产安全事故，暂扣安全生产许可证"));
          } else {
            CL_TRY(later(domain::CommandType::cancel, "企业申请注销资质"));
          }
          break;
        case 2:  // revoked or withdrawn
          // Alternate by kind so both terminal decisions appear.
          CL_TRY(later((n / 4) % 2 ? domain::CommandType::withdraw : domain::CommandType::revoke,
                       (n / 4) % 2 ? "审批程序违法，依法撤销" : "以欺骗手段取得资质，依法吊销"));
          break;
        default: break;  // converted paper stock, left valid
      }
    }
  }
  return demo_lines(ledger, ids, base, today);
}

Result<std::vector<DemoReport>> run_demo_reports(Ledger& ledger, const std::string& base, uint64_t seed) {
  // Reports of the demo's valid testing institutions (Guangdong, seed 002).
  std::vector<DemoReport> out;
  projections::Reader reader(ledger.store());
  std::mt19937_64 rng(seed);
  std::vector<domain::CertificateState> institutions;
  CL_TRY(reader.each_certificate([&](const projections::CertView& v) {
    if (v.state.kind == "testing_institution" && v.state.status == domain::CertStatus::active)
      institutions.push_back(v.state);
    return true;
  }));
  const char* projects[] = {"广州市天河区某住宅小区二期工程", "佛山市南海区某产业园厂房", "深圳市宝安区某学校教学楼"};
  int n = 0;
  for (const auto& inst : institutions) {
    for (const auto& cat : inst.fields.value("scope", nlohmann::json::array())) {
      if (n >= 6) break;
      const Date test_date = china_date(ledger.options().clock()).plus_days(-static_cast<int>(rng() % 20));
      nlohmann::json fields = {
          {"report_number", "JC" + std::to_string(test_date.year) + "-" + std::to_string(100000 + rng() % 900000)},
          {"project_name", projects[n % 3]},
          {"category", cat},
          {"test_date", test_date.to_string()},
          {"result_summary", "所检项目符合设计及规范要求"},
          {"file_sha256", hash_hex(sha256("demo report " + std::to_string(n) + std::to_string(seed)))}};
      auto r = ledger.register_report(inst.id, fields, "检测员" + std::to_string(n));
      if (!r.ok()) return r.error();
      const std::string code = r->record.event.data.value("code", "");
      std::string status = "有效";
      if (n == 5) {
        CL_TRY(ledger.withdraw_report(code, "报告数据录入错误，已重新出具", "", inst.id, "检测员",
                                      domain::Role::institution));
        status = "已作废";
      }
      out.push_back({code, base + "/r/" + code, status});
      ++n;
    }
  }
  return out;
}

}  // namespace certledger::ops
