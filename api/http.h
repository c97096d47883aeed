// Plain HTTP request/response values. Request handling is a function from
// Request to Response, testable without sockets; the Beast server only moves
// bytes (server.cc).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ledger/util/result.h"

namespace certledger::api {

struct CaseLess {
  bool operator()(const std::string& a, const std::string& b) const;
};

struct Request {
  std::string method;  // GET, POST, ...
  std::string target;  // path and query, as received
  std::map<std::string, std::string, CaseLess> headers;
  std::string body;
  std::string client;  // peer address

  std::string path() const;
  std::optional<std::string> query(std::string_view name) const;
  std::string header(const std::string& name) const;
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string route;  // for metrics: the route pattern that answered

  void set(std::string name, std::string value);
  std::string header(const std::string& name) const;
  static Response json(int status, const nlohmann::json& body);
  // The object `body` with one more member whose value is JSON text as it
  // is (a signed record: embedded byte for byte, never parsed and
  // re-serialized). REQUIRES: body is an object without that member.
  static Response json(int status, const nlohmann::json& body, std::string_view member, std::string_view raw_json);
  static Response text(int status, std::string body, std::string type = "text/plain; charset=utf-8");
};

// What a server hands each request to: one ledger's Service, or a
// Federation in front of several. Thread-safe: called from every I/O and
// worker thread at once.
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  virtual Response handle(const Request& req) = 0;
};

// RFC 9457 problem details. `type` is a stable slug under
// https://certledger.example/problems/; title and detail in English and,
// where the public sees them, Chinese.
Response problem(int status, std::string_view slug, std::string title, std::string detail, std::string field = {},
                 std::string title_zh = {});
// 400: the request is not well formed (field: the member or header at fault).
Response bad_request(std::string detail, std::string field = {});
// Maps a ledger error to the right status and problem type.
Response problem_from(const Error& e);

std::string url_decode(std::string_view s);

// How a request's body is delimited (RFC 9112 §6): the answer to send and
// close for a request whose body cannot be delimited safely, else nullopt.
// A Transfer-Encoding must end in chunked (400 otherwise: the body would be
// read as the next request), chunked is the only coding taken (501 for
// others before it), and it may not come with a Content-Length (400).
// `transfer_encoding` is every Transfer-Encoding value joined with commas;
// `has_te` whether there was one at all.
std::optional<Response> framing_problem(bool has_te, std::string_view transfer_encoding, bool has_content_length);

// A request from its parts. Headers that must be single (Authorization,
// Host, Idempotency-Key, If-Match) given twice are an error
// (invalid_argument): which one counts would be a guess.
Result<Request> make_request(std::string method, std::string target,
                             std::vector<std::pair<std::string, std::string>> headers, std::string body,
                             std::string client);

// The Content-Security-Policy of every HTML page that sets none itself: no
// script, no external resource, inline styles only (the pages carry their
// CSS inline).
inline constexpr std::string_view kPageCsp =
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'";

// The response as HTTP/1.1 bytes: status line, "Server: certledger",
// "X-Content-Type-Options: nosniff" (no browser guesses another type), its
// headers, kPageCsp for an HTML body without a policy of its own, Content-Length, "Connection: close" unless keep_alive, and the
// body (none for HEAD; Content-Length is then the GET body's). Header names
// or values with CR, LF or NUL are dropped (no response splitting);
// Content-Length, Connection, Server and Transfer-Encoding set by the
// handler are ignored. The reason phrase is Beast's.
std::string serialize(const Response& r, bool keep_alive, bool head);
// The same without the body: the server sends it and the body as two
// buffers of one write, so the body is not copied.
std::string serialize_head(const Response& r, bool keep_alive);

}  // namespace certledger::api
