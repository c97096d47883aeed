#include "api/federation.h"

#include <map>

#include "api/handlers.h"
#include "ledger/util/json.h"

namespace certledger::api {

using nlohmann::json;

namespace {

// The first path segment after `prefix`, and the rest ("" if none).
std::pair<std::string_view, std::string_view> segment_after(std::string_view path, std::string_view prefix) {
  std::string_view rest = path.substr(prefix.size());
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return {rest, {}};
  return {rest.substr(0, slash), rest.substr(slash)};
}

Request with_target(const Request& req, std::string target) {
  Request r = req;
  r.target = std::move(target);
  return r;
}

}  // namespace

Federation::Federation(std::vector<FederationMember> members, std::vector<RouteSpec> routes, const Metrics* shared,
                       Clock clock)
    : members_(std::move(members)), routes_(std::move(routes)), shared_(shared), clock_(std::move(clock)) {}

Response Federation::handle(const Request& req) {
  double secs = 0;
  Response r = handlers::answer_guarded([&] { return route(req); }, secs);
  // Members count the requests they answer; the federation its own.
  if (r.route.rfind("federation:", 0) == 0 || r.route == "error") own_.observe(r.route, req.method, r.status, secs);
  return r;
}

FederationMember* Federation::holder_of_token(std::string_view token) {
  for (auto& m : members_)
    if (m.service->holds_token(token)) return &m;
  return nullptr;
}

FederationMember* Federation::holder_of_report(std::string_view code) {
  for (auto& m : members_)
    if (m.service->holds_report(code)) return &m;
  return nullptr;
}

Response Federation::route(const Request& req) {
  const std::string path = req.path();
  const bool get = req.method == "GET" || req.method == "HEAD";
  auto mark = [](Response r, const char* route) {
    r.route = route;
    return r;
  };
  for (const auto& spec : routes_)
    if (spec.method == req.method && path == spec.pattern) return mark(spec.handler(req, Call{}), "federation:extra");

  if (path == "/logs" || path == "/logs/")
    return mark(get ? logs() : problem(405, "method-not-allowed", "Method not allowed", "GET /logs/ lists the logs"),
                "federation:/logs/");
  if (path.starts_with("/logs/")) {
    auto [name, rest] = segment_after(path, "/logs/");
    for (auto& m : members_)
      if (m.name == name) {
        const std::string query = req.target.substr(std::min(req.target.size(), req.target.find('?')));
        return m.service->handle(with_target(req, std::string(rest.empty() ? "/" : rest) + query));
      }
    return mark(
        handlers::not_found_json("this server follows no log named " + std::string(name) + " (GET /logs/ lists them)"),
        "federation:/logs/");
  }
  // Public answers go to the log that holds the token or code; an unknown
  // one is answered by the first log (its 404 and proof of absence).
  if (path.starts_with("/v/") || path.starts_with("/api/v1/verify/")) {
    auto [token, rest] = segment_after(path, path.starts_with("/v/") ? "/v/" : "/api/v1/verify/");
    auto* m = holder_of_token(token);
    return (m ? m : &members_.front())->service->handle(req);
  }
  if (path.starts_with("/r/") || (path.starts_with("/api/v1/reports/") && path.ends_with("/check"))) {
    auto [code, rest] = segment_after(path, path.starts_with("/r/") ? "/r/" : "/api/v1/reports/");
    auto* m = holder_of_report(code);
    return (m ? m : &members_.front())->service->handle(req);
  }
  if (get && path == "/api/v1/lookup") return mark(lookup(req), "federation:/api/v1/lookup");
  if (get && path == "/stats") return mark(stats_page(), "federation:/stats");
  if (get && path == "/metrics") return mark(metrics(), "federation:/metrics");
  if (get && path == "/readyz") return mark(ready(req), "federation:/readyz");
  // The same for every log: the first answers.
  if (get && (path == "/healthz" || path == "/openapi.json" || path.starts_with("/static/")))
    return members_.front().service->handle(req);
  std::string names;
  for (const auto& m : members_) names += (names.empty() ? "" : ", ") + m.name;
  Response r = handlers::not_found_json("this server follows " + std::to_string(members_.size()) + " logs (" + names +
                                        "): address one log's API under /logs/<name>" + path);
  return mark(std::move(r), "federation:unmatched");
}

Response Federation::logs() {
  json items = json::array();
  for (const auto& m : members_)
    items.push_back({{"name", m.name}, {"origin", m.origin}, {"log_key", m.log_key}, {"url", "/logs/" + m.name + "/"}});
  return Response::json(200, {{"logs", items}});
}

Response Federation::lookup(const Request& req) {
  json results = json::array();
  Response last;
  for (auto& m : members_) {
    Response r = m.service->handle(req);
    if (r.status == 404) {
      last = std::move(r);
      continue;
    }
    if (r.status != 200) return r;  // a bad request, rate limit or a log that is not live: as that log said it
    auto j = parse_json(r.body, "lookup");
    if (!j.ok() || !j->contains("results")) return r;
    for (auto& item : (*j)["results"]) {
      item["log"] = m.name;
      results.push_back(std::move(item));
    }
  }
  if (results.empty()) return last;
  Response r = Response::json(
      200,
      {{"kind", req.query("kind").value_or("")}, {"number", req.query("number").value_or("")}, {"results", results}});
  r.set("Cache-Control", "no-store");
  return r;
}

Response Federation::stats_page() {
  std::vector<std::pair<std::string, json>> logs;
  for (auto& m : members_) logs.emplace_back(m.name, m.service->statistics());
  Response r = Response::text(200, stats_html(logs, clock_()), "text/html; charset=utf-8");
  r.set("Cache-Control", "no-store");
  return r;
}

Response Federation::ready(const Request& req) {
  json details = json::object();
  bool all = true;
  for (auto& m : members_) {
    Response r = m.service->handle(req);
    all = all && r.status == 200;
    auto j = parse_json(r.body, "readyz");
    details[m.name] = j.ok() ? *j : json(r.status);
  }
  return Response::json(all ? 200 : 503, {{"status", all ? "ready" : "not ready"}, {"logs", details}});
}

Response Federation::metrics() {
  std::vector<std::pair<std::string, std::string>> by_log;
  for (const auto& m : members_) by_log.emplace_back(m.name, m.metrics->render());
  by_log.emplace_back("federation", own_.render());  // the requests it answered itself
  std::string out = merge_expositions(by_log);
  if (shared_) out += shared_->render_writers();  // its own family names: no clash
  return Response::text(200, std::move(out), "text/plain; version=0.0.4; charset=utf-8");
}

std::string merge_expositions(const std::vector<std::pair<std::string, std::string>>& by_log) {
  struct Family {
    std::string help, type;
    std::vector<std::string> samples;
  };
  std::vector<std::string> order;
  std::map<std::string, Family> families;
  for (const auto& [log, text] : by_log) {
    std::string current;
    size_t at = 0;
    while (at < text.size()) {
      size_t end = text.find('\n', at);
      if (end == std::string::npos) end = text.size();
      const std::string_view line(text.data() + at, end - at);
      at = end + 1;
      if (line.empty()) continue;
      if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) {
        const std::string_view rest = line.substr(7);
        current = std::string(rest.substr(0, rest.find(' ')));
        if (!families.contains(current)) order.push_back(current);
        (line[2] == 'H' ? families[current].help : families[current].type) = std::string(line);
        continue;
      }
      if (line.starts_with("#")) continue;
      // name{labels} value, or name value: the log label goes first.
      const size_t brace = line.find('{'), space = line.find(' ');
      std::string sample;
      if (brace != std::string_view::npos && brace < space)
        sample = std::string(line.substr(0, brace)) + "{log=\"" + log + "\"," + std::string(line.substr(brace + 1));
      else sample = std::string(line.substr(0, space)) + "{log=\"" + log + "\"}" + std::string(line.substr(space));
      if (current.empty() || !std::string_view(sample).starts_with(current)) {
        current = std::string(line.substr(0, std::min(brace, space)));
        if (!families.contains(current)) order.push_back(current);
      }
      families[current].samples.push_back(std::move(sample));
    }
  }
  std::string out;
  for (const auto& name : order) {
    const Family& f = families[name];
    if (!f.help.empty()) out += f.help + "\n";
    if (!f.type.empty()) out += f.type + "\n";
    for (const auto& s : f.samples) out += s + "\n";
  }
  return out;
}

}  // namespace certledger::api
