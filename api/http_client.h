// A small HTTP/1.1 client for server-to-server calls (a primary asking its
// witnesses to cosign): one POST to an http:// URL with a deadline for the
// whole exchange. Beast lives in this file and server.cc only.
#pragma once

#include <chrono>
#include <string>

#include "ledger/util/result.h"

namespace certledger::api {

struct HttpReply {
  int status = 0;
  std::string content_type;
  std::string body;
};

// url: http://host:port/path. unavailable (naming the cause) on a
// connection failure or when the deadline passes.
Result<HttpReply> http_post(const std::string& url, const std::string& body, const std::string& content_type,
                            std::chrono::milliseconds timeout);

}  // namespace certledger::api
