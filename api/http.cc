#include "api/http.h"

#include <algorithm>
#include <cctype>
#include <ostream>  // Boost 1.74's status.hpp uses it without including it

#include <boost/beast/http/status.hpp>

namespace certledger::api {

using nlohmann::json;

namespace {
// Header names are ASCII tokens: no locale lookup per character.
constexpr unsigned char ascii_lower(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u >= 'A' && u <= 'Z' ? static_cast<unsigned char>(u + 32) : u;
}
}  // namespace

bool CaseLess::operator()(const std::string& a, const std::string& b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                      [](char x, char y) { return ascii_lower(x) < ascii_lower(y); });
}

std::string url_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else if (s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

namespace {

// Beast's phrases, as its serializer wrote them before; none for a code it
// does not know.
std::string_view reason_phrase(int status) {
  const auto st = boost::beast::http::int_to_status(static_cast<unsigned>(status));
  if (st == boost::beast::http::status::unknown) return {};
  const auto r = boost::beast::http::obsolete_reason(st);
  return {r.data(), r.size()};
}

bool header_safe(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

}  // namespace

std::string serialize_head(const Response& r, bool keep_alive) {
  const int status = r.status >= 100 && r.status <= 999 ? r.status : 500;
  size_t size = 96;
  for (const auto& [k, v] : r.headers) size += k.size() + v.size() + 4;
  std::string out;
  out.reserve(size);
  out += "HTTP/1.1 ";
  out += std::to_string(status);
  out += ' ';
  out += reason_phrase(status);
  out += "\r\nServer: certledger\r\nX-Content-Type-Options: nosniff\r\n";
  bool html = false, policy = false;
  for (const auto& [k, v] : r.headers) {
    if (k.empty() || !header_safe(k) || !header_safe(v) || same_name(k, "Content-Length") ||
        same_name(k, "Connection") || same_name(k, "Server") || same_name(k, "Transfer-Encoding"))
      continue;
    html = html || (same_name(k, "Content-Type") && v.rfind("text/html", 0) == 0);
    policy = policy || same_name(k, "Content-Security-Policy");
    out += k;
    out += ": ";
    out += v;
    out += "\r\n";
  }
  if (html && !policy) {
    out += "Content-Security-Policy: ";
    out += kPageCsp;
    out += "\r\n";
  }
  out += "Content-Length: ";
  out += std::to_string(r.body.size());
  out += keep_alive ? "\r\n\r\n" : "\r\nConnection: close\r\n\r\n";
  return out;
}

std::string serialize(const Response& r, bool keep_alive, bool head) {
  std::string out = serialize_head(r, keep_alive);
  if (!head) out += r.body;
  return out;
}

std::optional<Response> framing_problem(bool has_te, std::string_view te, bool has_content_length) {
  if (!has_te) return std::nullopt;
  if (has_content_length)
    return problem(400, "bad-request", "Malformed HTTP request",
                   "a request may not have both Transfer-Encoding and Content-Length");
  std::vector<std::string> codings;
  size_t start = 0;
  while (start <= te.size()) {
    size_t comma = te.find(',', start);
    if (comma == std::string_view::npos) comma = te.size();
    std::string_view t = te.substr(start, comma - start);
    while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
    while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
    std::string lower;
    for (char c : t) lower += static_cast<char>(ascii_lower(c));
    if (!lower.empty()) codings.push_back(lower);
    start = comma + 1;
  }
  if (codings.empty() || codings.back() != "chunked")
    return problem(400, "bad-request", "Malformed HTTP request",
                   "Transfer-Encoding must end in chunked (RFC 9112 §6.3)");
  if (codings.size() > 1)
    return problem(501, "not-implemented", "Transfer coding not supported",
                   "only the chunked transfer coding is supported");
  return std::nullopt;
}

Result<Request> make_request(std::string method, std::string target,
                             std::vector<std::pair<std::string, std::string>> headers, std::string body,
                             std::string client) {
  Request r;
  r.method = std::move(method);
  r.target = std::move(target);
  for (auto& [name, value] : headers) {
    auto [it, fresh] = r.headers.try_emplace(std::move(name));  // not moved from unless inserted
    if (fresh) {
      it->second = std::move(value);
      continue;
    }
    for (const char* single : {"Authorization", "Host", "Idempotency-Key", "If-Match"})
      if (same_name(name, single))
        return make_error(Errc::invalid_argument, "the " + std::string(single) + " header is given twice", single);
    it->second += ", " + value;  // a list header sent in pieces (RFC 9110 §5.3)
  }
  r.body = std::move(body);
  r.client = std::move(client);
  return r;
}

std::string Request::path() const {
  auto q = target.find('?');
  return url_decode(q == std::string::npos ? target : target.substr(0, q));
}

std::optional<std::string> Request::query(std::string_view name) const {
  auto q = target.find('?');
  if (q == std::string::npos) return std::nullopt;
  std::string_view rest = std::string_view(target).substr(q + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    auto eq = pair.find('=');
    if (url_decode(pair.substr(0, eq)) == name)
      return eq == std::string_view::npos ? std::string() : url_decode(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return std::nullopt;
}

std::string Request::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

void Response::set(std::string name, std::string value) {
  for (auto& [k, v] : headers)
    if (same_name(k, name)) {
      v = std::move(value);
      return;
    }
  headers.emplace_back(std::move(name), std::move(value));
}

std::string Response::header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (same_name(k, name)) return v;
  return {};
}

Response Response::json(int status, const nlohmann::json& body) {
  Response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  r.set("Content-Type", "application/json");
  return r;
}

Response Response::json(int status, const nlohmann::json& body, std::string_view member, std::string_view raw_json) {
  Response r = json(status, body);
  r.body.pop_back();  // the closing brace
  if (r.body.size() > 1) r.body += ',';
  r.body += nlohmann::json(member).dump();
  r.body += ':';
  r.body += raw_json;
  r.body += '}';
  return r;
}

Response bad_request(std::string detail, std::string field) {
  return problem(400, "bad-request", "Malformed request", std::move(detail), std::move(field), "请求格式错误");
}

Response Response::text(int status, std::string body, std::string type) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.set("Content-Type", std::move(type));
  return r;
}

Response problem(int status, std::string_view slug, std::string title, std::string detail, std::string field,
                 std::string title_zh) {
  json j = {{"type", "https://certledger.example/problems/" + std::string(slug)},
            {"title", std::move(title)},
            {"status", status},
            {"detail", std::move(detail)}};
  if (!title_zh.empty()) j["title_zh"] = std::move(title_zh);
  if (!field.empty()) j["field"] = std::move(field);
  Response r = Response::json(status, j);
  r.set("Content-Type", "application/problem+json");
  return r;
}

Response problem_from(const Error& e) {
  switch (e.code) {
    case Errc::invalid_argument:
      return problem(422, "validation", "Invalid input", e.message, e.field, "输入数据不合法");
    case Errc::not_found: return problem(404, "not-found", "Not found", e.message, e.field, "未找到");
    case Errc::already_exists: return problem(409, "already-exists", "Already exists", e.message, e.field, "已存在");
    case Errc::conflict:
      if (e.detail == Detail::idempotency_key_reused)
        return problem(422, "idempotency-key-reused", "Idempotency-Key reused", e.message, e.field);
      return problem(409, "conflict", "Concurrent change", e.message, e.field);
    case Errc::precondition_failed:
      return problem(412, "precondition-failed", "Version mismatch (If-Match)", e.message, e.field);
    case Errc::rule_violation:
      return problem(409, "lifecycle", "Not allowed in the certificate's current state", e.message, e.field,
                     "当前状态不允许此操作");
    case Errc::unauthenticated: {
      Response r = problem(401, "unauthenticated", "Authentication required", e.message);
      r.set("WWW-Authenticate", "Bearer realm=\"certledger\"");
      return r;
    }
    case Errc::forbidden: return problem(403, "forbidden", "Forbidden", e.message, e.field, "无权操作");
    case Errc::unavailable:
    case Errc::io_error: {
      Response r = problem(503, "unavailable", "Service unavailable", e.message, {}, "服务暂不可用");
      r.set("Retry-After", "5");
      return r;
    }
    case Errc::corruption:
    case Errc::internal: return problem(500, "internal", "Internal error", e.message);
  }
  return problem(500, "internal", "Internal error", e.message);
}

}  // namespace certledger::api
