#include "api/http_client.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace certledger::api {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

Result<HttpReply> http_post(const std::string& url, const std::string& body, const std::string& content_type,
                            std::chrono::milliseconds timeout) {
  if (url.rfind("http://", 0) != 0) return make_error(Errc::invalid_argument, "not an http:// URL: " + url);
  const std::string rest = url.substr(7);
  const size_t slash = rest.find('/');
  const std::string hostport = rest.substr(0, slash), target = slash == std::string::npos ? "/" : rest.substr(slash);
  const size_t colon = hostport.rfind(':');
  const std::string host = colon == std::string::npos ? hostport : hostport.substr(0, colon);
  const std::string port = colon == std::string::npos ? "80" : hostport.substr(colon + 1);

  net::io_context ioc;
  net::ip::tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  http::request<http::string_body> req{http::verb::post, target, 11};
  req.set(http::field::host, hostport);
  req.set(http::field::content_type, content_type);
  req.body() = body;
  req.prepare_payload();
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  beast::error_code result = net::error::timed_out;
  stream.expires_after(timeout);
  auto exchange = [&] {
    stream.socket().set_option(net::ip::tcp::no_delay(true));
    http::async_write(stream, req, [&](beast::error_code ec3, size_t) {
      if (ec3) return void(result = ec3);
      http::async_read(stream, buffer, res, [&](beast::error_code ec4, size_t) { result = ec4; });
    });
  };
  // An address needs no resolver (whose asynchronous lookups run on a
  // thread of their own).
  beast::error_code parse_ec;
  const auto address = net::ip::make_address(host, parse_ec);
  const auto port_number = parse_ec ? 0 : std::strtoul(port.c_str(), nullptr, 10);
  if (!parse_ec && port_number > 0 && port_number < 65536) {
    stream.async_connect(net::ip::tcp::endpoint(address, static_cast<unsigned short>(port_number)),
                         [&](beast::error_code ec2) {
                           if (ec2) return void(result = ec2);
                           exchange();
                         });
  } else {
    resolver.async_resolve(host, port, [&](beast::error_code ec, net::ip::tcp::resolver::results_type found) {
      if (ec) return void(result = ec);
      stream.async_connect(found, [&](beast::error_code ec2, const net::ip::tcp::endpoint&) {
        if (ec2) return void(result = ec2);
        exchange();
      });
    });
  }
  ioc.run_for(timeout + std::chrono::milliseconds(50));
  if (result) return make_error(Errc::unavailable, "POST " + url + ": " + result.message());
  HttpReply out;
  out.status = static_cast<int>(res.result_int());
  out.content_type = std::string(res[http::field::content_type]);
  out.body = std::move(res.body());
  return out;
}

}  // namespace certledger::api
