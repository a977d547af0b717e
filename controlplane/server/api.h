// The HTTP/JSON API: admin routes (docs/protocol.md, "Admin API") and /v1/register.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "controlplane/server/controller.h"

namespace skiff::cp {

struct HttpReply {
  unsigned status = 200;
  nlohmann::json body;
  std::string allow;           // the Allow header of a 405
  bool authenticated = false;  // the request carried the admin token
};

struct HttpCall {
  std::string method;  // GET, POST, DELETE, ...
  std::string target;  // path and query
  std::string authorization;
  std::string body;
  std::string peer_address;
};

// Routes one request. Never throws: every failure is an error reply.
HttpReply handle_http(Controller& controller, const std::string& admin_token, const HttpCall& call);

}  // namespace skiff::cp
