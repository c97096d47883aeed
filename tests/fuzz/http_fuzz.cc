// HTTP request parsing on the server's own path: the session's Beast parser
// with its limits, the framing and duplicate-header checks, and the service
// answering what gets through, for the bytes one connection carries.
#include "api/server.h"
#include "tests/fuzz/world.h"

using namespace certledger;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& w = fuzz::World::get();
  static api::ServerOptions config = [] {
    api::ServerOptions c = fuzz::World::get().config.server;
    c.max_body_bytes = 64 * 1024;
    return c;
  }();
  const std::string out =
      api::answer_connection_bytes(*w.service, config, std::string_view(reinterpret_cast<const char*>(data), size));
  if (out.find("HTTP/1.1 500 ") != std::string::npos) std::abort();  // an exception escaped a handler
  return 0;
}
