// The route table: which handler answers a request, declared as rows of
// (method, path pattern, who may call, handler). Service builds its table
// in api/service.cc; ops/ adds rows through Extensions::routes.
//
// Patterns are absolute paths whose segments are literals or "{name}"
// placeholders (one whole segment each), and may end in "{name...}" (the
// rest of the path: one or more segments); a path matches when every segment
// does, and the placeholders' values reach the handler in order. Rows are
// tried in table order. A GET row also answers HEAD.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/http.h"
#include "api/tokens.h"

namespace certledger::api {

// Who may call a route. The router enforces the first distinction; the
// roles a token route admits are checked by its handler, against the
// resource (doc/authorization.md is the full table).
enum class Access {
  open,   // anyone; a handler may still read an optional token (/readyz details)
  token,  // a valid Bearer token: the router answers 401 before the handler runs
};

struct Call {
  std::vector<std::string> params;  // the placeholders' values, in pattern order
  const TokenInfo* who = nullptr;   // set for Access::token routes
};

using Handler = std::function<Response(const Request&, const Call&)>;

struct RouteSpec {
  std::string method;   // "GET" (also HEAD) or "POST"
  std::string pattern;  // e.g. "/api/v1/certificates/{id}/events"
  Access access = Access::open;
  std::string roles;  // who the handler admits, in words, for readers and /metrics
  Handler handler;
};

class Router {
 public:
  // Authenticates a token route's caller: its token or the error to answer.
  using Authenticate = std::function<Result<TokenInfo>(const Request&)>;
  explicit Router(Authenticate authenticate) : authenticate_(std::move(authenticate)) {}

  void add(RouteSpec spec);

  // The answer of the first row whose pattern and method match (its route
  // label set to the pattern); 405 with Allow when patterns match but no
  // method does; nullopt when no pattern matches.
  std::optional<Response> dispatch(const Request& req) const;

  const std::vector<RouteSpec>& routes() const { return routes_; }

  // The placeholders' values if `path` matches `pattern`.
  static std::optional<std::vector<std::string>> match(std::string_view pattern, std::string_view path);

 private:
  Authenticate authenticate_;
  std::vector<RouteSpec> routes_;
};

}  // namespace certledger::api
