// The Boost.Beast HTTP/1.1 server: one session object per connection with
// explicit limits (body size -> 413, header and read timeouts, keep-alive
// idle time), optional TLS. Sessions only move bytes: requests become
// api::Request values and a RequestHandler (a Service) answers them. Commands (POST) run
// on a worker pool because they wait for the writer's fsync; reads run
// inline on the I/O threads. SIGTERM/SIGINT: stop accepting, finish what is
// in flight, return from run().
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "api/options.h"
#include "api/service.h"

namespace certledger::api {

// A connection's request path without the socket: parses `bytes` as the
// requests one connection carries, with the session's parser limits and
// checks, answers each with service.handle (inline, commands too) and
// returns the serialized responses, stopping where a session would close.
// For tests and fuzzing.
std::string answer_connection_bytes(RequestHandler& service, const ServerOptions& config, std::string_view bytes);

class Server {
 public:
  Server(RequestHandler& service, const ServerOptions& config);
  ~Server();
  // Binds and listens. Fails if the address is taken or TLS files are bad.
  Status start();
  uint16_t port() const;
  // Runs the I/O threads until shutdown() (or SIGTERM/SIGINT) has drained.
  void run();
  void shutdown();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace certledger::api
