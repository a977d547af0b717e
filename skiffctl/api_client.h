// skiffctl's side of the agent's local API (docs/agent-api.md): one HTTP request per call
// over the unix socket, JSON in and out, errors turned into skiff::Error with the agent's
// own message.
#pragma once

#include <boost/beast/http/verb.hpp>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace skiff::ctl {

constexpr const char* kDefaultAgentSocket = "/run/skiff/agent.sock";

struct ApiResponse {
  unsigned status = 0;
  std::string body;
};

class AgentClient {
 public:
  explicit AgentClient(std::filesystem::path socket) : socket_(std::move(socket)) {}

  // Throws skiff::Error "cannot reach the agent at PATH: connect: ..." when nobody listens.
  ApiResponse request(boost::beast::http::verb method, const std::string& target,
                      const std::string& body = "");
  // request() + JSON; a status >= 400 throws skiff::Error with the agent's "error" text.
  nlohmann::json call(boost::beast::http::verb method, const std::string& target,
                      const std::string& body = "");
  // GET a streaming (chunked) body, handing each piece to `sink` as it arrives, until the
  // body ends or `sink` returns false.
  void stream(const std::string& target, const std::function<bool(std::string_view)>& sink);

 private:
  std::filesystem::path socket_;
};

}  // namespace skiff::ctl
