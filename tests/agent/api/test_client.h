// Raw HTTP over the unix socket for the server tests: whole responses via Beast, and a
// byte-level reader for streams.
#pragma once

#include <sys/socket.h>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <filesystem>
#include <string>

#include "agent/api/unix_stream.h"

namespace skiff::agent::test {

namespace http = boost::beast::http;

struct Reply {
  unsigned status = 0;
  std::string body;
  std::string allow;
  std::string content_type;
};

inline Reply send_request(const std::filesystem::path& socket, http::verb method,
                          const std::string& target, const std::string& body = "") {
  UnixStream stream(connect_unix(socket));
  stream.expires_after(std::chrono::seconds(20));
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, "localhost");
  req.body() = body;
  if (!body.empty() || method == http::verb::post) req.prepare_payload();
  // A server that refuses the body answers early; its reply is still there to read.
  boost::system::error_code ignored;
  http::write(stream, req, ignored);
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  return {res.result_int(), res.body(), std::string(res[http::field::allow]),
          std::string(res[http::field::content_type])};
}

// Sends raw bytes and reads until the peer closes or `until` appears (20 s guard).
inline std::string raw_exchange(UnixStream& stream, const std::string& bytes,
                                const std::string& until = "") {
  if (!bytes.empty()) {
    boost::asio::write(stream, boost::asio::buffer(bytes));
  }
  stream.expires_after(std::chrono::seconds(20));
  std::string got;
  char buf[4096];
  for (;;) {
    boost::system::error_code ec;
    std::size_t n = stream.read_some(boost::asio::buffer(buf), ec);
    got.append(buf, n);
    if (ec) break;
    if (!until.empty() && got.find(until) != std::string::npos) break;
  }
  return got;
}

}  // namespace skiff::agent::test
