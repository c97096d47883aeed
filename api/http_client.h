// A small HTTP/1.1 client for server-to-server calls (a primary asking its
// witnesses to cosign): a POST to an http:// URL with a deadline for the
// whole exchange, on a connection kept open between calls (C2SP
// tlog-witness asks clients to keep connections alive). Beast lives in this
// file and server.cc only.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "ledger/util/result.h"

namespace certledger::api {

struct HttpReply {
  int status = 0;
  std::string content_type;
  std::string body;
};

// One keep-alive connection, made on first use and again when the server
// closed it (a request that fails on a reused connection is sent once more
// on a new one; POSTs to a witness are idempotent). Not thread-safe: one
// caller at a time.
class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  // url: http://host:port/path. unavailable (naming the cause) on a
  // connection failure or when the deadline passes.
  Result<HttpReply> post(const std::string& url, const std::string& body, const std::string& content_type,
                         std::chrono::milliseconds timeout);
  uint64_t connections() const;  // made so far (any thread may ask)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One POST on a connection of its own.
Result<HttpReply> http_post(const std::string& url, const std::string& body, const std::string& content_type,
                            std::chrono::milliseconds timeout);

}  // namespace certledger::api
