#include "api/router.h"

namespace certledger::api {

namespace {

// The next segment of an absolute path at `i` (just after a '/'), or
// nullopt at the end.
std::optional<std::string_view> next_segment(std::string_view path, size_t& i) {
  if (i > path.size()) return std::nullopt;
  size_t j = path.find('/', i);
  if (j == std::string_view::npos) j = path.size();
  std::string_view s = path.substr(i, j - i);
  i = j + 1;
  return s;
}

bool is_placeholder(std::string_view s) { return s.size() > 2 && s.front() == '{' && s.back() == '}'; }

}  // namespace

std::optional<std::vector<std::string>> Router::match(std::string_view pattern, std::string_view path) {
  if (path.empty() || path.front() != '/' || pattern.empty() || pattern.front() != '/') return std::nullopt;
  std::vector<std::string> params;
  size_t i = 1, k = 1;
  while (true) {
    auto want = next_segment(pattern, k);
    auto got = next_segment(path, i);
    if (!want || !got) {
      if (want || got) return std::nullopt;
      return params;
    }
    if (is_placeholder(*want) && want->ends_with("...}")) {
      // The rest of the path, one or more segments (a C2SP tile index).
      const std::string_view rest = path.substr(i - got->size() - 1);
      if (got->empty() || next_segment(pattern, k)) return std::nullopt;
      params.emplace_back(rest);
      return params;
    }
    if (is_placeholder(*want)) {
      if (got->empty()) return std::nullopt;
      params.emplace_back(*got);
    } else if (*want != *got) {
      return std::nullopt;
    }
  }
}

void Router::add(RouteSpec spec) { routes_.push_back(std::move(spec)); }

std::optional<Response> Router::dispatch(const Request& req) const {
  const std::string path = req.path();
  const std::string_view method = req.method == "HEAD" ? std::string_view("GET") : std::string_view(req.method);
  std::string allow;
  const RouteSpec* first_pattern = nullptr;
  for (const auto& r : routes_) {
    auto params = match(r.pattern, path);
    if (!params) continue;
    if (!first_pattern) first_pattern = &r;
    if (r.method != method) {
      if (allow.find(r.method) == std::string::npos) allow += (allow.empty() ? "" : ", ") + r.method;
      continue;
    }
    Call call{std::move(*params), nullptr};
    Response out;
    if (r.access == Access::token) {
      auto who = authenticate_(req);
      if (!who.ok()) {
        out = problem_from(who.error());
      } else {
        call.who = &*who;
        out = r.handler(req, call);
      }
    } else {
      out = r.handler(req, call);
    }
    if (out.route.empty()) out.route = r.pattern;
    return out;
  }
  if (!first_pattern) return std::nullopt;
  Response r = problem(405, "method-not-allowed", "Method not allowed", req.method + " " + path);
  r.set("Allow", allow);
  r.route = first_pattern->pattern;
  return r;
}

}  // namespace certledger::api
