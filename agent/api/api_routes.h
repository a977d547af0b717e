// The API's routes: a request in, either a complete JSON reply or a plan for a streaming
// reply out. Maps AgentService exceptions to status codes (docs/agent-api.md):
// NotFound -> 404, skiff::Error and bad JSON -> 400, anything else -> 500.
#pragma once

#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "agent/api/agent_service.h"
#include "agent/api/log_reader.h"

namespace skiff::agent {

struct ApiRequest {
  boost::beast::http::verb method = boost::beast::http::verb::get;
  std::string target;
  std::string body;
};

struct LogStreamPlan {
  std::string task_id;
  std::string container;
  LogSource source;
  LogOptions options;
  bool follow = false;
};

struct EventStreamPlan {
  std::uint64_t since = 0;
  bool follow = false;
};

struct ApiReply {
  boost::beast::http::status status = boost::beast::http::status::ok;
  nlohmann::json body;
  std::string allow;  // the Allow header of a 405
  std::optional<LogStreamPlan> logs;
  std::optional<EventStreamPlan> events;
};

ApiReply handle_request(AgentService& service, const ApiRequest& request);

// {"error": message} with `status`.
ApiReply error_reply(boost::beast::http::status status, const std::string& message);

}  // namespace skiff::agent
