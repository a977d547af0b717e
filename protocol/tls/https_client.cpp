#include "protocol/tls/https_client.h"

#include <fmt/format.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "common/error.h"
#include "common/json_parse.h"
#include "protocol/tls/verify_host.h"

namespace skiff::tls {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;

HttpsClient::HttpsClient(std::string host, std::uint16_t port, std::string ca_file,
                         std::string bearer)
    : host_(std::move(host)),
      port_(port),
      ca_file_(std::move(ca_file)),
      bearer_(std::move(bearer)) {}

HttpsResult HttpsClient::request(const std::string& method, const std::string& target,
                                 const nlohmann::json& body) const {
  return request_raw(method, target, body.is_null() ? std::string() : body.dump());
}

HttpsResult HttpsClient::request_raw(const std::string& method, const std::string& target,
                                     const std::string& raw_body) const {
  net::io_context ioc;
  ssl::context tls(ssl::context::tls_client);
  tls.load_verify_file(ca_file_);
  beast::ssl_stream<beast::tcp_stream> stream(ioc, tls);
  verify_host(stream, host_);
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
  beast::error_code ec;
  auto address = net::ip::make_address(host_, ec);
  if (ec) {
    // A host name: the first address it resolves to.
    net::ip::tcp::resolver resolver(ioc);
    auto results = resolver.resolve(host_, std::to_string(port_));
    address = results.begin()->endpoint().address();
  }
  beast::get_lowest_layer(stream).connect(net::ip::tcp::endpoint(address, port_));
  stream.handshake(ssl::stream_base::client);
  http::request<http::string_body> req(http::string_to_verb(method), target, 11);
  req.set(http::field::host, host_);
  if (!bearer_.empty()) req.set(http::field::authorization, "Bearer " + bearer_);
  req.set(http::field::content_type, "application/json");
  req.body() = raw_body;
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 << 20);
  http::read(stream, buf, parser);
  beast::error_code ignored;
  beast::get_lowest_layer(stream).socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  HttpsResult r;
  r.status = parser.get().result_int();
  r.raw = parser.get().body();
  r.body = skiff::parse_json_or_discarded(r.raw);  // the agent registers through this
  if (r.body.is_discarded()) r.body = nullptr;
  return r;
}

nlohmann::json HttpsClient::call(const std::string& method, const std::string& target,
                                 const nlohmann::json& body) const {
  auto r = request(method, target, body);
  if (r.status < 200 || r.status >= 300) {
    throw Error(fmt::format("{} {}: HTTP {}: {}", method, target, r.status, r.raw));
  }
  return r.body;
}

}  // namespace skiff::tls
