#include "projections/queries.h"

#include "ledger/util/encoding.h"
#include "projections/projections.h"

namespace certledger::projections {

using nlohmann::json;

Result<CertView> Reader::certificate(std::string_view id) const {
  auto bytes = store_.get(kCfCerts, id);
  if (!bytes || id == kAppliedKey) return make_error(Errc::not_found, "no certificate " + std::string(id));
  return decode(*bytes);
}

Result<Reader::TokenTarget> Reader::token_target(std::string_view token) const {
  return decode_token_target(token, store_.get(kCfTokens, token));
}

Result<Reader::TokenTarget> Reader::decode_token_target(std::string_view token, const std::optional<std::string>& v) {
  if (!v || v->size() < 5 || token == kAppliedKey) return make_error(Errc::not_found, "unknown token");
  return TokenTarget{v->substr(0, v->size() - 4), get_be32(std::string_view(*v).substr(v->size() - 4))};
}

Result<Reader::TokenHit> Reader::by_token(std::string_view token) const {
  CL_ASSIGN(TokenTarget t, token_target(token));
  CL_ASSIGN(CertView view, certificate(t.certificate));
  return TokenHit{std::move(view), t.version};
}

Status Reader::each_certificate(const std::function<bool(const CertView&)>& fn) const {
  Status failed;
  CL_TRY(store_.scan_prefix(kCfCerts, "", [&](std::string_view id, std::string_view bytes) {
    if (id == kAppliedKey) return true;  // the projection's progress, not a certificate
    auto v = decode(bytes);
    if (!v.ok()) {
      failed = make_error(Errc::corruption, "certificate view " + std::string(id) + ": " + v.error().message);
      return false;
    }
    return fn(*v);
  }));
  return failed;
}

std::vector<std::string> Reader::by_number(std::string_view kind, std::string_view number) const {
  std::vector<std::string> out;
  std::string prefix(kind);
  prefix += '\0';
  prefix += number;
  prefix += '\0';
  (void)store_.scan_prefix(kCfNumbers, prefix, [&](std::string_view, std::string_view id) {
    out.emplace_back(id);
    return true;
  });
  return out;
}

std::vector<std::string> Reader::by_holder(std::string_view holder_id, std::string_view kind,
                                           std::string_view authority) const {
  std::vector<std::string> out;
  const std::string prefix = holder_key(holder_id);
  (void)store_.scan_prefix(kCfHolders, prefix, [&](std::string_view key, std::string_view owner) {
    std::string id(key.substr(prefix.size()));
    if (!authority.empty() && owner != authority) return true;
    if (!kind.empty()) {
      auto v = certificate(id);
      if (!v.ok() || v->state.kind != kind) return true;
    }
    out.push_back(std::move(id));
    return true;
  });
  return out;
}

namespace {

std::vector<std::string> split0(std::string_view s) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || s[i] == '\0') {
      parts.emplace_back(s.substr(start, i - start));
      start = i + 1;
    }
  return parts;
}

}  // namespace

json Reader::statistics(std::string_view authority) const {
  json by_status = json::array(), by_month = json::array();
  std::map<std::string, std::string> regions;
  (void)store_.scan_prefix(kCfStats, std::string("a\0", 2), [&](std::string_view k, std::string_view v) {
    regions[split0(k)[1]] = std::string(v);
    return true;
  });
  auto counter = [](std::string_view v) { return v.size() == 8 ? get_be64(v) : 0; };
  (void)store_.scan_prefix(kCfStats, std::string("n\0", 2), [&](std::string_view k, std::string_view v) {
    auto p = split0(k);
    if (p.size() != 4 || (!authority.empty() && p[1] != authority)) return true;
    by_status.push_back(
        {{"authority", p[1]}, {"region", regions[p[1]]}, {"kind", p[2]}, {"status", p[3]}, {"count", counter(v)}});
    return true;
  });
  (void)store_.scan_prefix(kCfStats, std::string("m\0", 2), [&](std::string_view k, std::string_view v) {
    auto p = split0(k);
    if (p.size() != 5 || (!authority.empty() && p[2] != authority)) return true;
    by_month.push_back(
        {{"month", p[1]}, {"authority", p[2]}, {"kind", p[3]}, {"operation", p[4]}, {"count", counter(v)}});
    return true;
  });
  json reports = json::array();
  std::map<std::string, std::string> names;
  (void)store_.scan_prefix(kCfStats, std::string("rn\0", 3), [&](std::string_view k, std::string_view v) {
    names[split0(k)[1]] = std::string(v);
    return true;
  });
  (void)store_.scan_prefix(kCfStats, std::string("r\0", 2), [&](std::string_view k, std::string_view v) {
    auto p = split0(k);
    if (p.size() != 4 || (!authority.empty() && p[1] != authority)) return true;
    reports.push_back({{"authority", p[1]},
                       {"institution", p[2]},
                       {"institution_name", names[p[2]]},
                       {"category", p[3]},
                       {"count", counter(v)}});
    return true;
  });
  return {{"by_status", by_status}, {"by_month", by_month}, {"reports", reports}};
}

Result<json> Reader::report(std::string_view code) const {
  auto v = store_.get(kCfReports, code);
  if (!v || code == kAppliedKey) return make_error(Errc::not_found, "no report " + std::string(code));
  json j = json::parse(*v, nullptr, false);
  if (j.is_discarded()) return make_error(Errc::corruption, "report view is not JSON");
  return j;
}

namespace {

Result<CertView> fold_until(const Ledger& ledger, const std::string& id,
                            const std::function<bool(const domain::Record&)>& include) {
  CL_ASSIGN(auto events, ledger.stream_events(id));
  CertView v;
  bool any = false;
  for (const auto& se : events) {
    if (!include(se)) break;
    CL_TRY(apply(v, se.event, se.position, hash_hex(se.hash)));
    any = true;
  }
  if (!any) return make_error(Errc::not_found, "certificate " + id + " did not exist then");
  return v;
}

}  // namespace

Result<CertView> view_at_position(const Ledger& ledger, const std::string& id, uint64_t position) {
  return fold_until(ledger, id, [&](const domain::Record& se) { return se.position <= position; });
}

Result<CertView> view_at_date(const Ledger& ledger, const std::string& id, Date date) {
  return fold_until(ledger, id, [&](const domain::Record& se) { return china_date(se.event.time) <= date; });
}

}  // namespace certledger::projections
