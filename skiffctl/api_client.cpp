#include "skiffctl/api_client.h"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstring>
#include <limits>

#include "agent/api/unix_stream.h"
#include "common/error.h"

namespace skiff::ctl {

namespace http = boost::beast::http;
using agent::UnixStream;
using nlohmann::json;

namespace {

constexpr auto kTimeout = std::chrono::minutes(5);  // drain waits for every task to stop

UnixStream connect(const std::filesystem::path& socket) {
  try {
    return UnixStream(agent::connect_unix(socket));
  } catch (const SysError& e) {
    throw Error("cannot reach the agent at " + socket.native() +
                ": connect: " + std::strerror(e.code()));
  }
}

void send(UnixStream& stream, http::verb method, const std::string& target,
          const std::string& body) {
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, "skiff-agent");
  req.set(http::field::user_agent, "skiffctl");
  if (!body.empty()) req.set(http::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();
  req.keep_alive(false);
  boost::system::error_code ec;
  stream.expires_after(kTimeout);
  http::write(stream, req, ec);
  // A refused body (413) still has its answer waiting; only fail if there is none.
  if (ec && ec != boost::asio::error::broken_pipe) {
    throw Error("sending " + target + " to the agent: " + ec.message());
  }
}

std::string error_text(unsigned status, const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_string()) {
    return j["error"].get<std::string>();
  }
  return "agent answered HTTP " + std::to_string(status);
}

}  // namespace

ApiResponse AgentClient::request(http::verb method, const std::string& target,
                                 const std::string& body) {
  UnixStream stream = connect(socket_);
  send(stream, method, target, body);
  boost::beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  boost::system::error_code ec;
  stream.expires_after(kTimeout);
  http::read(stream, buffer, parser, ec);
  if (ec) throw Error("reading the agent's answer to " + target + ": " + ec.message());
  return {parser.get().result_int(), parser.get().body()};
}

json AgentClient::call(http::verb method, const std::string& target, const std::string& body) {
  ApiResponse r = request(method, target, body);
  if (r.status >= 400) throw Error(error_text(r.status, r.body));
  json j = json::parse(r.body, nullptr, false);
  if (j.is_discarded()) throw Error("the agent's answer to " + target + " is not JSON");
  return j;
}

void AgentClient::stream(const std::string& target,
                         const std::function<bool(std::string_view)>& sink) {
  UnixStream stream = connect(socket_);
  send(stream, http::verb::get, target, "");
  boost::beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());  // a follow never ends by size
  boost::system::error_code ec;
  stream.expires_after(kTimeout);
  http::read_header(stream, buffer, parser, ec);
  if (ec) throw Error("reading the agent's answer to " + target + ": " + ec.message());
  unsigned status = parser.get().result_int();
  std::string error_body;
  char chunk[16 * 1024];
  stream.expires_never();  // a follow may be quiet for hours
  while (!parser.is_done()) {
    parser.get().body().data = chunk;
    parser.get().body().size = sizeof chunk;
    // read_some, not read: read() would wait to fill `chunk`, holding back a slow follow.
    http::read_some(stream, buffer, parser, ec);
    if (ec == http::error::need_buffer) ec = {};
    if (ec) throw Error("reading logs/events from the agent: " + ec.message());
    std::string_view got(chunk, sizeof chunk - parser.get().body().size);
    if (status >= 400) {
      error_body.append(got);
    } else if (!got.empty() && !sink(got)) {
      return;
    }
  }
  if (status >= 400) throw Error(error_text(status, error_body));
}

}  // namespace skiff::ctl
