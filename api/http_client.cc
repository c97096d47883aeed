#include "api/http_client.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <atomic>
#include <optional>

namespace certledger::api {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct HttpClient::Impl {
  net::io_context ioc;
  std::optional<beast::tcp_stream> stream;
  std::string peer;  // host:port the stream is connected to
  beast::flat_buffer buffer;
  std::atomic<uint64_t> connections{0};

  // Runs the queued operations until they finish or the deadline passes.
  void run(std::chrono::milliseconds timeout) {
    ioc.restart();
    ioc.run_for(timeout + std::chrono::milliseconds(50));
  }

  beast::error_code connect(const std::string& host, const std::string& port, std::chrono::milliseconds timeout) {
    stream.reset();
    buffer.clear();
    stream.emplace(ioc);
    stream->expires_after(timeout);
    beast::error_code result = net::error::timed_out;
    // An address needs no resolver (whose asynchronous lookups run on a
    // thread of their own).
    beast::error_code parse_ec;
    const auto address = net::ip::make_address(host, parse_ec);
    const unsigned long port_number = std::strtoul(port.c_str(), nullptr, 10);
    net::ip::tcp::resolver resolver(ioc);
    if (!parse_ec && port_number > 0 && port_number < 65536) {
      stream->async_connect(net::ip::tcp::endpoint(address, static_cast<unsigned short>(port_number)),
                            [&](beast::error_code ec) { result = ec; });
    } else {
      resolver.async_resolve(host, port, [&](beast::error_code ec, net::ip::tcp::resolver::results_type found) {
        if (ec) return void(result = ec);
        stream->async_connect(found, [&](beast::error_code ec2, const net::ip::tcp::endpoint&) { result = ec2; });
      });
    }
    run(timeout);
    if (result) {
      stream.reset();
      return result;
    }
    stream->socket().set_option(net::ip::tcp::no_delay(true), parse_ec);
    ++connections;
    return {};
  }

  beast::error_code exchange(http::request<http::string_body>& req, http::response<http::string_body>& res,
                             std::chrono::milliseconds timeout) {
    beast::error_code result = net::error::timed_out;
    stream->expires_after(timeout);
    http::async_write(*stream, req, [&](beast::error_code ec, size_t) {
      if (ec) return void(result = ec);
      http::async_read(*stream, buffer, res, [&](beast::error_code ec2, size_t) { result = ec2; });
    });
    run(timeout);
    return result;
  }
};

HttpClient::HttpClient() : impl_(std::make_unique<Impl>()) {}
HttpClient::~HttpClient() = default;
uint64_t HttpClient::connections() const { return impl_->connections.load(std::memory_order_relaxed); }

Result<HttpReply> HttpClient::post(const std::string& url, const std::string& body, const std::string& content_type,
                                   std::chrono::milliseconds timeout) {
  if (url.rfind("http://", 0) != 0) return make_error(Errc::invalid_argument, "not an http:// URL: " + url);
  const std::string rest = url.substr(7);
  const size_t slash = rest.find('/');
  const std::string hostport = rest.substr(0, slash), target = slash == std::string::npos ? "/" : rest.substr(slash);
  const size_t colon = hostport.rfind(':');
  const std::string host = colon == std::string::npos ? hostport : hostport.substr(0, colon);
  const std::string port = colon == std::string::npos ? "80" : hostport.substr(colon + 1);

  http::request<http::string_body> req{http::verb::post, target, 11};
  req.set(http::field::host, hostport);
  req.set(http::field::content_type, content_type);
  req.keep_alive(true);
  req.body() = body;
  req.prepare_payload();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto left = [&] {
    return std::max(std::chrono::milliseconds(1),
                    std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
  };
  Impl& c = *impl_;
  beast::error_code ec;
  http::response<http::string_body> res;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = c.stream && c.peer == hostport;
    if (!reused) {
      if ((ec = c.connect(host, port, left()))) break;
      c.peer = hostport;
    }
    res = {};
    ec = c.exchange(req, res, left());
    if (!ec) break;
    c.stream.reset();  // broken or timed out: never reused
    if (!reused || ec == beast::error::timeout || ec == net::error::timed_out)
      break;  // a fresh connection failed, or time is up
  }
  if (ec) return make_error(Errc::unavailable, "POST " + url + ": " + ec.message());
  if (!res.keep_alive()) c.stream.reset();
  HttpReply out;
  out.status = static_cast<int>(res.result_int());
  out.content_type = std::string(res[http::field::content_type]);
  out.body = std::move(res.body());
  return out;
}

Result<HttpReply> http_post(const std::string& url, const std::string& body, const std::string& content_type,
                            std::chrono::milliseconds timeout) {
  HttpClient client;
  return client.post(url, body, content_type, timeout);
}

}  // namespace certledger::api
