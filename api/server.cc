#include "api/server.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "api/connections.h"
#include "ledger/util/thread.h"

namespace certledger::api {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

// Streams bound to their io_context's own executor type (no type-erased
// any_io_executor on every operation).
using Executor = net::io_context::executor_type;
using Socket = tcp::socket::rebind_executor<Executor>::other;
using TcpStream = beast::basic_stream<tcp, Executor>;
using TlsStream = beast::ssl_stream<TcpStream>;

// ---- The request path a session and answer_connection_bytes share ----

using Parser = http::request_parser<http::string_body>;

void configure(Parser& p, const ServerOptions& config) {
  p.body_limit(config.max_body_bytes);
  p.header_limit(16 * 1024);
}

// After the header, before any body byte: a body that cannot be delimited
// safely (RFC 9112 §6.3).
std::optional<Response> header_problem(const Parser& p) {
  const auto& h = p.get();
  std::string te;
  bool has_te = false;
  for (const auto& f : h)
    if (f.name() == http::field::transfer_encoding) {
      te += (has_te ? "," : "") + std::string(f.value());
      has_te = true;
    }
  return framing_problem(has_te, te, h.find(http::field::content_length) != h.end());
}

// What a parse error is answered with; nullopt: close without an answer.
std::optional<Response> read_error_response(beast::error_code ec, const ServerOptions& config) {
  if (ec == http::error::body_limit)
    return problem(413, "too-large", "Request body too large",
                   "the body exceeds " + std::to_string(config.max_body_bytes) + " bytes");
  if (ec == http::error::end_of_stream || ec == net::error::operation_aborted || ec == beast::error::timeout ||
      ec == net::error::eof || ec == net::error::connection_reset || ec == http::error::partial_message)
    return std::nullopt;
  if (std::string_view(ec.category().name()) == "beast.http")
    return problem(400, "bad-request", "Malformed HTTP request", ec.message());
  return std::nullopt;
}

Result<Request> to_request(http::request<http::string_body>&& msg, const std::string& client) {
  std::vector<std::pair<std::string, std::string>> headers;
  headers.reserve(8);
  for (const auto& f : msg) headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  return make_request(std::string(msg.method_string()), std::string(msg.target()), std::move(headers),
                      std::move(msg.body()), client);
}

Response bad_request_response(const Error& e) {
  return problem(400, "bad-request", "Malformed HTTP request", e.message, e.field);
}

struct Shared {
  RequestHandler& service;
  const ServerOptions& config;
  net::thread_pool& workers;
  std::atomic<int>& in_flight;
  std::atomic<bool>& draining;
  std::shared_ptr<spdlog::logger> access;
};

template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(Stream stream, Shared shared, std::string client, Connections::Slot slot)
      : stream_(std::move(stream)), s_(shared), client_(std::move(client)), slot_(std::move(slot)) {}

  // The io_context thread this connection lives on.
  auto executor() { return stream_.get_executor(); }

  void start() {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::milliseconds(s_.config.header_timeout_ms));
      stream_.async_handshake(ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
        if (!ec) self->read();
      });
    } else {
      read();
    }
  }

 private:
  // A request's headers must arrive within the header timeout: from the
  // accept on a new connection, from the request's first byte after a
  // keep-alive request (before which the connection may idle for the idle
  // timeout). The bytes read are parsed in place; only a header that is not
  // all there yet costs another read.
  void read() {
    parser_.emplace();
    configure(*parser_, s_.config);
    const auto header_timeout = std::chrono::milliseconds(s_.config.header_timeout_ms);
    if (buffer_.size() > 0) {  // pipelined: the next request's bytes are here
      header_deadline_ = std::chrono::steady_clock::now() + header_timeout;
      return parse_header();
    }
    if (first_) header_deadline_ = std::chrono::steady_clock::now() + header_timeout;
    beast::get_lowest_layer(stream_).expires_after(first_ ? header_timeout
                                                          : std::chrono::milliseconds(s_.config.idle_timeout_ms));
    stream_.async_read_some(buffer_.prepare(4096), [self = this->shared_from_this()](beast::error_code ec, size_t n) {
      if (ec) return self->fail_or_close(ec);
      if (!self->first_)
        self->header_deadline_ =
            std::chrono::steady_clock::now() + std::chrono::milliseconds(self->s_.config.header_timeout_ms);
      self->first_ = false;
      self->buffer_.commit(n);
      self->parse_header();
    });
  }

  void parse_header() {
    beast::error_code ec;
    buffer_.consume(parser_->put(buffer_.data(), ec));
    if (ec == http::error::need_more || (!ec && !parser_->is_header_done())) {
      beast::get_lowest_layer(stream_).expires_at(header_deadline_);
      return http::async_read_header(
          stream_, buffer_, *parser_,
          [self = this->shared_from_this()](beast::error_code ec, size_t) { self->on_header(ec); });
    }
    on_header(ec);
  }

  void on_header(beast::error_code ec) {
    if (ec) return fail_or_close(ec);
    if (auto bad = header_problem(*parser_)) {
      keep_alive_ = false;
      return write(std::move(*bad), "", "", std::chrono::steady_clock::now());
    }
    if (parser_->is_done()) return on_read({});  // no body: nothing more to read
    beast::get_lowest_layer(stream_).expires_after(std::chrono::milliseconds(s_.config.read_timeout_ms));
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
  }

  void fail_or_close(beast::error_code ec) {
    auto answer = read_error_response(ec, s_.config);
    if (!answer) return close();
    keep_alive_ = false;
    write(std::move(*answer), "", "", std::chrono::steady_clock::now());
  }

  void on_read(beast::error_code ec) {
    if (ec) return fail_or_close(ec);
    auto start = std::chrono::steady_clock::now();
    auto msg = parser_->release();
    keep_alive_ = msg.keep_alive() && !s_.draining.load();
    auto made = to_request(std::move(msg), client_);
    if (!made.ok()) {
      keep_alive_ = false;
      return write(bad_request_response(made.error()), "", "", std::chrono::steady_clock::now());
    }
    auto req = std::make_shared<Request>(std::move(*made));
    const bool head = req->method == "HEAD";
    ++s_.in_flight;
    if (Service::is_write(*req)) {
      net::post(s_.workers, [self = this->shared_from_this(), req, start, head] {
        Response r = self->s_.service.handle(*req);
        net::post(self->stream_.get_executor(), [self, req, r = std::move(r), start, head]() mutable {
          self->write(std::move(r), req->method, req->target, start, head);
        });
      });
    } else {
      write(s_.service.handle(*req), req->method, req->target, start, head);
    }
  }

  // The response goes out as bytes: the head serialized by
  // api::serialize_head and the body, two buffers of one send.
  void write(Response r, const std::string& method, const std::string& target,
             std::chrono::steady_clock::time_point start, bool head = false) {
    struct Out {
      std::string head, body;
    };
    auto bytes = std::make_shared<Out>(Out{serialize_head(r, keep_alive_), head ? std::string() : std::move(r.body)});
    if (s_.config.access_log && !method.empty()) {
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      auto q = target.find('?');
      s_.access->info("{}", access_line(client_, method, std::string_view(target).substr(0, q), r.route, r.status,
                                        bytes->body.size(), ms));
    }
    beast::get_lowest_layer(stream_).expires_after(std::chrono::milliseconds(s_.config.read_timeout_ms));
    const std::array<net::const_buffer, 2> buffers{net::buffer(bytes->head), net::buffer(bytes->body)};
    net::async_write(stream_, buffers,
                     [self = this->shared_from_this(), bytes, counted = !method.empty()](beast::error_code ec, size_t) {
                       if (counted) --self->s_.in_flight;
                       if (ec || !self->keep_alive_) return self->close();
                       self->read();
                     });
  }

  void close() {
    beast::error_code ec;
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
        beast::error_code e;
        beast::get_lowest_layer(self->stream_).socket().shutdown(tcp::socket::shutdown_both, e);
      });
    } else {
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    }
  }

  Stream stream_;
  Shared s_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string client_;
  Connections::Slot slot_;
  std::chrono::steady_clock::time_point header_deadline_;
  bool keep_alive_ = true;
  bool first_ = true;
};

}  // namespace

struct Server::Impl {
  RequestHandler& service;
  const ServerOptions& config;
  // Before the contexts: sessions still queued in them release their slots
  // when the contexts are destroyed.
  Connections connections;
  // One single-threaded io_context per network thread (concurrency hint 1:
  // no scheduler locking, no cross-thread wake-ups); the first also runs the
  // acceptor and the signals, and accepted connections are dealt out round
  // robin. A connection lives on one thread, so it needs no strand.
  std::vector<std::unique_ptr<net::io_context>> contexts;
  net::io_context& ioc;
  size_t next_context = 0;
  std::optional<ssl::context> tls;
  tcp::acceptor acceptor{ioc};
  net::thread_pool workers;
  std::atomic<int> in_flight{0};
  std::atomic<bool> draining{false};
  net::signal_set signals{ioc, SIGINT, SIGTERM};
  std::shared_ptr<spdlog::logger> access;
  net::steady_timer drain_timer{ioc};
  std::chrono::steady_clock::time_point drain_deadline;

  static std::vector<std::unique_ptr<net::io_context>> make_contexts(int n) {
    std::vector<std::unique_ptr<net::io_context>> v;
    for (int i = 0; i < std::max(1, n); ++i) v.push_back(std::make_unique<net::io_context>(1));
    return v;
  }

  Impl(RequestHandler& s, const ServerOptions& c)
      : service(s),
        config(c),
        connections(c.max_connections, c.max_connections_per_client),
        contexts(make_contexts(c.io_threads)),
        ioc(*contexts[0]),
        workers(std::max(1, c.workers)) {
    access = spdlog::get("access");
    if (!access) access = spdlog::default_logger();
  }

  Shared shared() { return Shared{service, config, workers, in_flight, draining, access}; }

  void accept() {
    net::io_context& target = *contexts[next_context++ % contexts.size()];
    acceptor.async_accept(target.get_executor(), [this](beast::error_code ec, Socket socket) {
      if (ec) {
        if (ec != net::error::operation_aborted && acceptor.is_open()) accept();
        return;
      }
      auto ep = socket.remote_endpoint(ec);
      std::string client = ec ? "" : ep.address().to_string();
      auto slot = connections.take(client);
      if (!slot) {  // over the limits: closed at once, before any read
        socket.close(ec);
        return accept();
      }
      socket.set_option(tcp::no_delay(true), ec);
      // A session starts on its own connection's thread.
      auto launch = [](auto session) { net::post(session->executor(), [session] { session->start(); }); };
      if (tls)
        launch(std::make_shared<Session<TlsStream>>(TlsStream(TcpStream(std::move(socket)), *tls), shared(),
                                                    std::move(client), std::move(*slot)));
      else
        launch(std::make_shared<Session<TcpStream>>(TcpStream(std::move(socket)), shared(), std::move(client),
                                                    std::move(*slot)));
      accept();
    });
  }

  void drain() {
    if (draining.exchange(true)) return;
    spdlog::info("shutting down: no new connections; finishing {} request(s) in flight", in_flight.load());
    beast::error_code ec;
    acceptor.close(ec);
    drain_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    wait_drained();
  }

  void wait_drained() {
    if (in_flight.load() == 0 || std::chrono::steady_clock::now() > drain_deadline) {
      workers.join();
      for (auto& c : contexts) c->stop();
      return;
    }
    drain_timer.expires_after(std::chrono::milliseconds(20));
    drain_timer.async_wait([this](beast::error_code) { wait_drained(); });
  }
};

Server::Server(RequestHandler& service, const ServerOptions& config) : impl_(std::make_unique<Impl>(service, config)) {}
Server::~Server() = default;

Status Server::start() {
  auto& i = *impl_;
  const auto colon = i.config.listen.rfind(':');
  std::string host = i.config.listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  int port = std::atoi(i.config.listen.substr(colon + 1).c_str());
  beast::error_code ec;
  auto addr = net::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  if (ec) return make_error(Errc::invalid_argument, "cannot parse listen address " + host);
  if (!i.config.tls_cert.empty()) {
    i.tls.emplace(ssl::context::tls_server);
    i.tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                       ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    i.tls->use_certificate_chain_file(i.config.tls_cert, ec);
    if (!ec) i.tls->use_private_key_file(i.config.tls_key, ssl::context::pem, ec);
    if (ec) return make_error(Errc::invalid_argument, "TLS: " + ec.message());
  }
  tcp::endpoint ep(addr, static_cast<unsigned short>(port));
  i.acceptor.open(ep.protocol(), ec);
  if (!ec) i.acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) i.acceptor.bind(ep, ec);
  if (!ec) i.acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return make_error(Errc::unavailable, "cannot listen on " + i.config.listen + ": " + ec.message());
  i.signals.async_wait([this](beast::error_code ec, int) {
    if (!ec) impl_->drain();
  });
  i.accept();
  return {};
}

uint16_t Server::port() const { return impl_->acceptor.local_endpoint().port(); }

void Server::run() {
  auto& i = *impl_;
  // The other contexts have no work until a connection arrives: keep them
  // running until shutdown stops them.
  std::vector<net::executor_work_guard<net::io_context::executor_type>> guards;
  std::vector<std::thread> threads;
  for (size_t t = 1; t < i.contexts.size(); ++t) {
    guards.push_back(net::make_work_guard(*i.contexts[t]));
    threads.emplace_back([&i, t] {
      name_this_thread("cl:http" + std::to_string(t));
      i.contexts[t]->run();
    });
  }
  i.ioc.run();
  for (auto& t : threads) t.join();
}

void Server::shutdown() {
  net::post(impl_->ioc, [this] { impl_->drain(); });
}

std::string answer_connection_bytes(RequestHandler& service, const ServerOptions& config, std::string_view bytes) {
  beast::flat_buffer buffer;
  buffer.commit(net::buffer_copy(buffer.prepare(bytes.size()), net::buffer(bytes.data(), bytes.size())));
  std::string out;
  for (;;) {
    Parser parser;
    configure(parser, config);
    beast::error_code ec;
    bool checked = false;
    while (!parser.is_done()) {
      // The connection ends mid-request: closed unanswered, as a session
      // would at its read timeout.
      if (buffer.size() == 0) return out;
      const size_t used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      if (ec == http::error::need_more) {
        if (used == 0) return out;  // needs more than the connection holds
        ec = {};
        continue;
      }
      if (ec) {
        if (auto answer = read_error_response(ec, config)) out += serialize(*answer, false, false);
        return out;
      }
      if (used == 0 && !parser.is_done()) return out;  // no progress: never spin
      if (parser.is_header_done() && !checked) {
        checked = true;
        if (auto bad = header_problem(parser)) return out + serialize(*bad, false, false);
      }
    }
    auto msg = parser.release();
    const bool keep_alive = msg.keep_alive();
    auto req = to_request(std::move(msg), "fuzz");
    if (!req.ok()) return out + serialize(bad_request_response(req.error()), false, false);
    out += serialize(service.handle(*req), keep_alive, req->method == "HEAD");
    if (!keep_alive || buffer.size() == 0) return out;
  }
}

}  // namespace certledger::api
