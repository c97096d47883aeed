#include "api/views.h"

#include "ledger/domain/kinds.h"

namespace certledger::api {

using nlohmann::json;

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

json authority_view(const projections::CertView& v, const std::string& base, bool masked) {
  json versions = json::array();
  for (const auto& x : v.versions)
    versions.push_back({{"version", x.version},
                        {"cause", x.cause},
                        {"reason", x.reason},
                        {"elicense", x.elicense},
                        {"position", x.position},
                        {"time", format_rfc3339_ms(x.time)},
                        {"valid_until", x.valid_until},
                        {"qr_url", base + "/v/" + x.token}});
  const auto& s = v.state;
  json j = {{"id", s.id},
            {"kind", s.kind},
            {"authority", s.authority},
            {"status", domain::status_name(s.status)},
            {"version", s.doc_version},
            {"stream_version", s.stream_version},
            {"fields", s.fields},
            {"elicense", s.elicense},
            {"qr_url", base + "/v/" + s.token},
            {"versions", versions},
            {"last_position", v.last_position},
            {"last_time", format_rfc3339_ms(v.last_time)},
            {"issued_time", format_rfc3339_ms(v.issued_time)},
            {"approval", v.actor_json.empty() ? json(nullptr) : json::parse(v.actor_json)}};
  if (s.status != domain::CertStatus::active) {
    j["status_reason"] = s.status_reason;
    j["status_time"] = format_rfc3339_ms(s.status_time);
    if (!v.status_decision.empty()) j["status_decision"] = v.status_decision;
  }
  if (!s.suspended_until.empty()) j["suspended_until"] = s.suspended_until;
  if (!v.source.empty()) j["source"] = v.source;
  if (!s.holder.empty()) j["holder"] = s.holder;  // the holder reference (erasure)
  if (s.erased) j["personal_data"] = "erased";
  const auto* kind = domain::find_kind(s.kind);
  if (kind) j["kind_name"] = kind->name;
  if (masked) j["fields"] = kind ? projections::public_fields(*kind, s.fields) : json::object();
  return j;
}

json verify_json(const projections::CertView& v, uint32_t version, const VerifyContext& c) {
  const auto* kind = domain::find_kind(v.state.kind);
  auto pv = projections::public_view(v, version, china_date(c.now));
  // The fields as printed on this version of the document.
  json fields = v.state.fields;
  std::string elicense = v.state.elicense;
  for (const auto& x : v.versions)
    if (x.version == version) {
      fields = json::parse(x.fields_json);
      elicense = x.elicense;
    }
  json pub = kind ? projections::public_fields(*kind, fields) : json::object();
  json cert = {{"kind", v.state.kind},
               {"kind_name", kind ? std::string(kind->name) : v.state.kind},
               {"number", fields.value("number", "")},
               {"holder_name", kind ? pub.value(std::string(kind->holder_name_field), "") : ""},
               {"fields", pub},
               {"authority", {{"code", v.state.authority}, {"name", c.authority_name}}},
               {"elicense", elicense},
               {"version", version},
               {"current_version", pv.current_version}};
  for (const char* k : {"valid_from", "valid_until", "issue_date"})
    if (fields.contains(k)) cert[k] = fields[k];
  json j = {{"status", projections::public_status_name(pv.status)},
            {"status_zh", projections::public_status_word(pv.status)},
            {"certificate", cert},
            {"as_of", format_rfc3339_ms(c.now)},
            {"log_position", c.log_position},
            {"realtime", "实时数据"}};
  if (pv.superseded_by) j["superseded_by"] = *pv.superseded_by;
  if (!pv.since.empty()) j["since"] = pv.since;
  if (!pv.reason.empty()) j["reason"] = pv.reason;
  return j;
}

namespace {

const char* kStyle = R"CSS(
*{box-sizing:border-box}body{margin:0;font:16px/1.5 -apple-system,"PingFang SC","Noto Sans CJK SC","WenQuanYi Zen Hei",sans-serif;background:#f3f4f6;color:#111}
main{max-width:560px;margin:0 auto;padding:16px}
.banner{border-radius:12px;padding:18px 16px;color:#fff;margin-bottom:14px}
.banner .word{font-size:32px;font-weight:700;letter-spacing:2px}
.banner .sub{font-size:14px;opacity:.95}
.valid{background:#15803d}.suspended{background:#b45309}
.expired,.cancelled,.revoked,.withdrawn,.superseded{background:#b91c1c}
.card{background:#fff;border-radius:12px;padding:14px 16px;margin-bottom:14px;box-shadow:0 1px 2px rgba(0,0,0,.06)}
h1{font-size:18px;margin:0 0 8px}
dl{margin:0;display:grid;grid-template-columns:7.5em 1fr;gap:6px 10px}
dt{color:#555}dd{margin:0;word-break:break-all}
.foot{font-size:13px;color:#555}.foot a{color:#1d4ed8}
.proof{border-radius:10px;padding:8px 12px;margin:-6px 0 14px;font-size:14px;background:#e5e7eb;color:#374151}
.proof.verified{background:#dcfce7;color:#14532d}.proof.failed{background:#b91c1c;color:#fff;font-weight:700}
.proof.stale,.proof.pending{background:#fef3c7;color:#78350f}
)CSS";

std::string row(const std::string& label, const std::string& value) {
  if (value.empty()) return {};
  return "<dt>" + html_escape(label) + "</dt><dd>" + html_escape(value) + "</dd>";
}

std::string text_of(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : "；") + (x.is_string() ? x.get<std::string>() : x.dump());
    return s;
  }
  return v.is_null() ? "" : v.dump();
}

}  // namespace

std::string verify_page(const json& j, const std::string& token) {
  const json& c = j["certificate"];
  const std::string status = j["status"];
  std::string sub;
  if (status == "superseded")
    sub = "此版本已作废，已由第 " + std::to_string(j.value("superseded_by", 0)) + " 版替代（当前为第 " +
          std::to_string(c.value("current_version", 0)) + " 版）";
  else if (status != "valid")
    sub = (j.contains("since") ? "自 " + j["since"].get<std::string>().substr(0, 10) + " 起" : std::string()) +
          (j.contains("reason") ? "　原因：" + j["reason"].get<std::string>() : std::string());
  else sub = "证书有效";
  std::string fields_html;
  const auto* kind = domain::find_kind(c.value("kind", ""));
  if (kind)
    for (const auto& spec : kind->fields) {
      if (spec.name == "number" || spec.name == kind->holder_name_field) continue;  // shown above
      auto it = c["fields"].find(std::string(spec.name));
      if (it == c["fields"].end()) continue;
      fields_html += row(std::string(spec.label), text_of(*it));
    }
  std::string html =
      "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
      "<title>" +
      html_escape(j["status_zh"].get<std::string>()) + " - " + html_escape(c["kind_name"].get<std::string>()) +
      "</title><style>" + kStyle +
      "</style></head><body><main>"
      "<div class=\"banner " +
      html_escape(status) + "\"><div class=\"word\">" + html_escape(j["status_zh"].get<std::string>()) +
      "</div><div class=\"sub\">" + html_escape(sub) +
      "</div></div>"
      "<div id=\"proof-check\" class=\"proof\" data-status=\"" +
      html_escape(status) +
      "\">正在验证证明…</div>"
      "<div class=\"card\"><h1>" +
      html_escape(c["kind_name"].get<std::string>()) + "</h1><dl>" + row("证书编号", c.value("number", "")) +
      row("持证者", c.value("holder_name", "")) + fields_html + row("发证机关", c["authority"].value("name", "")) +
      row("电子证照标识", c.value("elicense", "")) +
      row("证书版本", "第 " + std::to_string(c.value("version", 0)) + " 版") +
      "</dl></div>"
      "<div class=\"card foot\">实时数据　查询时间 " +
      html_escape(j["as_of"].get<std::string>()) + "<br>账本位置 " +
      std::to_string(j.value("log_position", uint64_t{0})) + "<br><a href=\"/v/" + html_escape(token) +
      "/document.pdf\">下载证书文件 (PDF)</a>　" +
      (kind && kind->ofd ? "<a href=\"/v/" + html_escape(token) + "/document.ofd\">OFD</a>　" : std::string()) +
      "<a href=\"/api/v1/verify/" + html_escape(token) +
      "\">JSON</a></div>"
      "</main>" +
      std::string(kProofMark) + "</body></html>";
  return html;
}

std::string stale_page() {
  return std::string(
             "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
             "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
             "<title>暂时无法确认实时状态</title><style>") +
         kStyle +
         "</style></head><body><main><div class=\"banner suspended\"><div class=\"word\">暂时无法确认</div>"
         "<div class=\"sub\">本服务器暂时无法确认证书的实时状态，请稍后再试，或到发证机关的查询平台核验。"
         "本页面不说明证书的状态。</div></div></main></body></html>";
}

std::string not_found_page() {
  return std::string(
             "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
             "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
             "<title>未找到证书</title><style>") +
         kStyle +
         "</style></head><body><main><div class=\"banner revoked\"><div class=\"word\">未找到</div>"
         "<div class=\"sub\">没有与此二维码对应的证书。请核对来源，谨防伪造。</div></div></main></body></html>";
}

}  // namespace certledger::api
