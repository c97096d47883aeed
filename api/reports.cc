// Test reports (防伪监管标识码, seed 002) and statistics (统计分析) over HTTP.
#include "api/handlers.h"
#include "api/service.h"
#include "api/views.h"
#include "ledger/domain/kinds.h"
#include "ledger/domain/report.h"
#include "ledger/domain/validate.h"
#include "ledger/util/encoding.h"
#include "ledger/util/hash.h"
#include "ledger/util/utf8.h"
#include "projections/projections.h"
#include "projections/queries.h"

namespace certledger::api {

using nlohmann::json;

namespace {

json report_json(const json& view, const std::string& base) {
  const json& st = view["state"];
  const json& data = st["data"];
  const std::string code = data.value("code", "");
  json j = {{"code", code},
            {"code_display", domain::format_report_code(code)},
            {"check_url", base + "/r/" + code},
            {"report", data.value("fields", json::object())},
            {"institution",
             {{"certificate", st.value("institution", "")},
              {"name", data.value("institution_name", "")},
              {"certificate_number", data.value("institution_number", "")}}},
            {"qualified_on_test_date", data.value("qualified", json::object())},
            {"authority", st.value("authority", "")},
            {"registered_at", format_rfc3339_ms(st.value("registered_at", int64_t{0}))},
            {"withdrawn", st.value("withdrawn", false)},
            {"position", view.value("registered_position", uint64_t{0})}};
  if (st.value("withdrawn", false)) {
    j["withdraw_reason"] = st.value("withdraw_reason", "");
    j["withdrawn_at"] = format_rfc3339_ms(st.value("withdrawn_at", int64_t{0}));
  }
  return j;
}

// The report page's one script: the SHA-256 of a file the user picks,
// computed in the browser. The page's CSP allows exactly this script.
constexpr std::string_view kHashFileScript =
    "document.getElementById('f').onchange=async e=>{const b=await e.target.files[0].arrayBuffer();"
    "const d=await crypto.subtle.digest('SHA-256',b);document.getElementById('h').value="
    "[...new Uint8Array(d)].map(x=>x.toString(16).padStart(2,'0')).join('');};";

const std::string& report_page_csp() {
  static const std::string csp =
      std::string(kPageCsp) + "; script-src 'sha256-" + base64_encode(hash_bytes(sha256(kHashFileScript))) + "'";
  return csp;
}

std::string esc(const json& v) { return html_escape(v.is_string() ? v.get<std::string>() : v.dump()); }

}  // namespace

Response Service::create_report(const Request& req, const TokenInfo& who) {
  if (who.role != domain::Role::institution)
    return problem_from(make_error(Errc::forbidden, "reports are registered with a testing institution's token"));
  auto parsed = parse_body(req, {"fields"});
  if (!parsed.ok()) return bad_request(parsed.error().message, parsed.error().field);
  json& body = *parsed;
  if (!body.contains("fields"))
    return problem_from(make_error(Errc::invalid_argument, "fields must be an object", "fields"));
  if (auto shape = domain::check_field_shapes(body["fields"], "fields"); !shape.ok())
    return problem_from(shape.error());
  auto o = command_options(req);
  if (!o.ok())
    return o.error().code == Errc::invalid_argument ? bad_request(o.error().message, o.error().field)
                                                    : problem_from(o.error());
  auto out = ledger_.register_report(who.subject, body["fields"], who.operator_id, *o);
  if (!out.ok()) return problem_from(out.error());
  const std::string code = out->record.event.data.value("code", "");
  auto view = projections::Reader(ledger_.store()).report(code);
  json j = view.ok() ? report_json(*view, config_.base_url()) : json{{"code", code}};
  j["replayed"] = out->replayed;
  Response r = Response::json(201, j, "record", out->record.bytes);
  r.set("Location", "/api/v1/reports/" + code);
  return r;
}

Response Service::withdraw_report(const Request& req, const TokenInfo& who, const std::string& code) {
  if (who.role != domain::Role::institution && who.role != domain::Role::approver)
    return problem_from(
        make_error(Errc::forbidden, "a report is withdrawn by its institution or an approver of its authority"));
  auto parsed = parse_body(req, {"reason"});
  if (!parsed.ok()) return bad_request(parsed.error().message, parsed.error().field);
  json& body = *parsed;
  if (!body.contains("reason") || !body["reason"].is_string())
    return bad_request("send {\"reason\": \"...\"}", "reason");
  auto c = domain::parse_report_code(code);
  if (!c.ok()) return problem_from(c.error());
  const bool institution = who.role == domain::Role::institution;
  auto out = ledger_.withdraw_report(*c, body["reason"], institution ? "" : who.authority,
                                     institution ? who.subject : "", who.operator_id, who.role);
  if (!out.ok()) return problem_from(out.error());
  auto view = projections::Reader(ledger_.store()).report(*c);
  return Response::json(201, view.ok() ? report_json(*view, config_.base_url()) : json{{"code", *c}});
}

Response Service::get_report(const TokenInfo& who, const std::string& code) {
  auto c = domain::parse_report_code(code);
  if (!c.ok()) return problem_from(c.error());
  auto view = projections::Reader(ledger_.store()).report(*c);
  if (!view.ok()) return problem_from(view.error());
  const json& st = (*view)["state"];
  const bool own = who.role == domain::Role::institution ? st.value("institution", "") == who.subject
                                                         : st.value("authority", "") == who.authority;
  if (!own)
    return problem_from(make_error(Errc::forbidden, "report " + *c + " belongs to another institution or authority"));
  return Response::json(200, report_json(*view, config_.base_url()));
}

namespace {

// The public report page: the answer of public_report as HTML.
std::string report_page(const json& j) {
  const bool ok = j["status"] == "valid";
  const json& rep = j["report"];
  std::string check;
  if (j.contains("file_check"))
    check = std::string("<div class=\"banner ") +
            (j["file_check"]["matches"].get<bool>() ? "valid\">文件一致：与登记的检测报告完全相同"
                                                    : "revoked\">文件不一致：与登记的检测报告不同") +
            "</div>";
  return "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
         "content=\"width=device-width,initial-scale=1\">"
         "<title>检测报告防伪查验</title><style>*{box-sizing:border-box}body{margin:0;font:16px/1.5 "
         "sans-serif;background:#f3f4f6;color:#111}"
         "main{max-width:560px;margin:0 auto;padding:16px}.banner{border-radius:12px;padding:14px "
         "16px;color:#fff;margin-bottom:14px;font-size:18px}"
         ".valid{background:#15803d}.revoked{background:#b91c1c}.card{background:#fff;border-radius:12px;padding:14px "
         "16px;margin-bottom:14px}"
         "dl{margin:0;display:grid;grid-template-columns:7.5em 1fr;gap:6px "
         "10px}dt{color:#555}dd{margin:0;word-break:break-all}"
         "input{width:100%;padding:8px;margin:6px 0}button{padding:8px 14px}</style></head><body><main>"
         "<div class=\"banner " +
         std::string(ok ? "valid" : "revoked") + "\"><b>" + esc(j["status_zh"]) + "</b>　防伪监管标识码 " +
         esc(j["code_display"]) + (ok ? "" : "<br>原因：" + esc(j.value("withdraw_reason", ""))) + "</div>" + check +
         "<div class=\"card\"><dl><dt>报告编号</dt><dd>" + esc(rep.value("report_number", "")) +
         "</dd><dt>工程名称</dt><dd>" + esc(rep.value("project_name", "")) + "</dd><dt>检测类别</dt><dd>" +
         esc(rep.value("category", "")) + "</dd><dt>检测日期</dt><dd>" + esc(rep.value("test_date", "")) +
         "</dd><dt>检测结论</dt><dd>" + esc(rep.value("result_summary", "")) + "</dd><dt>检测机构</dt><dd>" +
         esc(j["institution"]["name"]) + "</dd><dt>资质证书</dt><dd>" + esc(j["institution"]["certificate_number"]) +
         "</dd><dt>检测日资质</dt><dd>有效（检测范围覆盖该类别）</dd><dt>资质现状</dt><dd>" +
         esc(j["institution"].value("status_now_zh", "")) +
         "</dd></dl></div>"
         "<div class=\"card\"><form method=\"get\"><label>核对报告文件：选择文件，或粘贴其 SHA-256</label>"
         "<input type=\"file\" id=\"f\"><input name=\"sha256\" id=\"h\" placeholder=\"64 "
         "位十六进制\"><button>核对</button></form></div>"
         "<div class=\"card\" style=\"font-size:13px;color:#555\">实时数据　查询时间 " +
         esc(j["as_of"]) +
         "</div>"
         "<script>" +
         std::string(kHashFileScript) +
         "</script>"
         "</main></body></html>";
}

}  // namespace

Response Service::public_report(const Request& req, const std::string& code_text, bool html) {
  if (auto stale = stale_reason()) return not_live(*stale, html);
  auto c = domain::parse_report_code(code_text);
  std::optional<json> view;
  if (c.ok())
    if (auto v = projections::Reader(ledger_.store()).report(*c); v.ok()) view = *v;
  if (!view) {
    Response r =
        html ? Response::text(404, not_found_page(), "text/html; charset=utf-8")
             : problem(404, "unknown-report-code", "Unknown report code",
                       c.ok() ? "no report has this code" : c.error().message, "code", "未找到该防伪监管标识码");
    r.set("Cache-Control", "no-store");
    return r;
  }
  json j = report_json(*view, config_.base_url());
  // The institution's certificate today, as the public sees it.
  projections::Reader reader(ledger_.store());
  if (auto cert = reader.certificate(j["institution"]["certificate"].get<std::string>()); cert.ok()) {
    auto pv = projections::public_view(*cert, cert->state.doc_version, china_date(clock_()));
    j["institution"]["status_now"] = projections::public_status_name(pv.status);
    j["institution"]["status_now_zh"] = projections::public_status_word(pv.status);
  }
  j["status"] = j["withdrawn"].get<bool>() ? "withdrawn" : "valid";
  j["status_zh"] = j["withdrawn"].get<bool>() ? "已作废" : "有效";
  j["as_of"] = format_rfc3339_ms(clock_());
  if (auto h = req.query("sha256"); h && !h->empty()) {
    std::string given = *h;
    for (auto& ch : given) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    j["file_check"] = {{"sha256", given}, {"matches", given == j["report"].value("file_sha256", "")}};
  }
  Response r;
  if (!html) {
    r = Response::json(200, j);
  } else {
    r = Response::text(200, report_page(j), "text/html; charset=utf-8");
    r.set("Content-Security-Policy", report_page_csp());
  }
  r.set("Cache-Control", "no-store");
  return r;
}

Response Service::stats_json(const Request& req, const TokenInfo& who) {
  if (who.role == domain::Role::institution)
    return problem_from(make_error(Errc::forbidden, "statistics are for authorities"));
  const std::string scope = who.role == domain::Role::admin && req.query("all") ? "" : who.authority;
  return Response::json(200, projections::Reader(ledger_.store()).statistics(scope));
}

namespace {

// Horizontal bars, inline SVG, no external assets.
std::string bars(const std::string& title, const std::vector<std::pair<std::string, uint64_t>>& rows) {
  uint64_t max = 1;
  for (const auto& r : rows) max = std::max(max, r.second);
  const int h = 22, w = 520, label = 210;
  std::string svg = "<h2>" + html_escape(title) + "</h2><svg width=\"" + std::to_string(w) + "\" height=\"" +
                    std::to_string(h * static_cast<int>(rows.size()) + 4) + "\" role=\"img\">";
  int y = 0;
  for (const auto& [name, n] : rows) {
    const int bw = static_cast<int>((w - label - 60) * static_cast<double>(n) / static_cast<double>(max));
    svg += "<text x=\"0\" y=\"" + std::to_string(y + 15) + "\" font-size=\"13\">" + html_escape(name) + "</text>";
    svg += "<rect x=\"" + std::to_string(label) + "\" y=\"" + std::to_string(y + 3) + "\" width=\"" +
           std::to_string(std::max(bw, 1)) + "\" height=\"16\" fill=\"#2563eb\"/>";
    svg += "<text x=\"" + std::to_string(label + bw + 6) + "\" y=\"" + std::to_string(y + 15) + "\" font-size=\"13\">" +
           std::to_string(n) + "</text>";
    y += h;
  }
  return svg + "</svg>";
}

}  // namespace

std::string stats_html(const std::vector<std::pair<std::string, json>>& logs, UnixMillis now) {
  std::map<std::string, uint64_t> by_kind, by_status, by_region, issued, revoked, by_category, by_institution, by_log;
  for (const auto& [log, s] : logs) {
    for (const auto& r : s["by_status"]) {
      const auto* k = domain::find_kind(r["kind"].get<std::string>());
      const uint64_t n = r["count"].get<uint64_t>();
      by_kind[k ? std::string(k->name) : r["kind"].get<std::string>()] += n;
      by_status[r["status"].get<std::string>()] += n;
      by_region[r["region"].get<std::string>() + " " + r["authority"].get<std::string>()] += n;
      by_log[log] += n;
    }
    for (const auto& r : s["by_month"]) {
      const std::string op = r["operation"];
      if (op == "issue" || op == "convert") issued[r["month"]] += r["count"].get<uint64_t>();
      if (op == "revoke" || op == "withdraw" || op == "cancel") revoked[r["month"]] += r["count"].get<uint64_t>();
    }
    for (const auto& r : s["reports"]) {
      by_category[r["category"]] += r["count"].get<uint64_t>();
      by_institution[r["institution_name"]] += r["count"].get<uint64_t>();
    }
  }
  auto rows = [](const std::map<std::string, uint64_t>& m) {
    return std::vector<std::pair<std::string, uint64_t>>(m.begin(), m.end());
  };
  // Several logs (a national view): each log's total first.
  const std::string per_log = logs.size() > 1 ? bars("各省级日志（证照数）", rows(by_log)) : std::string();
  return "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
         "content=\"width=device-width,initial-scale=1\">"
         "<title>统计分析</title><style>body{font:15px/1.5 sans-serif;max-width:600px;margin:0 "
         "auto;padding:16px}h2{font-size:16px;margin:20px 0 6px}</style>"
         "</head><body><h1>电子证照统计分析</h1><p>实时数据，查询时间 " +
         format_rfc3339_ms(now) + "</p>" + per_log + bars("证照种类", rows(by_kind)) +
         bars("证照状态", rows(by_status)) + bars("地区（发证机关）", rows(by_region)) +
         bars("按月发证（含换发）", rows(issued)) + bars("按月注销、吊销、撤销", rows(revoked)) +
         bars("检测报告：按检测类别", rows(by_category)) + bars("检测报告：按检测机构", rows(by_institution)) +
         "</body></html>";
}

json Service::statistics() const { return projections::Reader(ledger_.store()).statistics(); }

bool Service::holds_token(std::string_view token) const {
  return !token.empty() && ledger_.store().get(projections::kCfTokens, token).has_value();
}

bool Service::holds_report(std::string_view code) const {
  return projections::Reader(ledger_.store()).report(code).ok();
}

Response Service::stats_page() {
  Response r =
      Response::text(200, stats_html({{ledger_.origin(), statistics()}}, clock_()), "text/html; charset=utf-8");
  r.set("Cache-Control", "no-store");
  return r;
}

}  // namespace certledger::api
