#include "agent/api/api_routes.h"

#include <charconv>
#include <functional>

#include "agent/api/http_target.h"
#include "common/error.h"
#include "common/json_parse.h"

namespace skiff::agent {

namespace http = boost::beast::http;
using nlohmann::json;

namespace {

struct Route {
  std::vector<std::string> params;  // the {id} / {name} segments, in order
  const HttpTarget& target;
  const ApiRequest& request;
};

using Handler = std::function<ApiReply(AgentService&, const Route&)>;

ApiReply ok(json body, http::status status = http::status::ok) {
  ApiReply r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

std::uint64_t parse_count(const std::optional<std::string>& value, const char* name) {
  if (!value) return 0;
  std::uint64_t n = 0;
  const char* end = value->data() + value->size();
  auto [ptr, ec] = std::from_chars(value->data(), end, n);
  if (ec != std::errc() || ptr != end) {
    throw Error(std::string("query parameter ") + name + ": not a non-negative integer: '" +
                *value + "'");
  }
  return n;
}

// An optional JSON object body ({"reason": "..."}); empty is fine.
// The engine makes it valid UTF-8 (TaskEngine::stop_task, drain), for every caller.
std::string reason_from(const Route& r, const std::string& fallback) {
  if (auto q = r.target.param("reason")) return *q;
  if (r.request.body.empty()) return fallback;
  json body = skiff::parse_json_or_discarded(r.request.body);
  if (body.is_discarded() || !body.is_object()) throw Error("body: must be a JSON object");
  if (!body.contains("reason")) return fallback;
  if (!body["reason"].is_string()) throw Error("body.reason: must be a string");
  return body["reason"].get<std::string>();
}

ApiReply get_logs(AgentService& s, const Route& r) {
  LogStreamPlan plan;
  plan.task_id = r.params[0];
  plan.container = r.params[1];
  plan.follow = r.target.flag("follow");
  plan.options.timestamps = r.target.flag("timestamps");
  if (auto tail = r.target.param("tail"); tail && *tail != "all") {
    plan.options.tail = parse_count(tail, "tail");
  }
  if (auto stream = r.target.param("stream"); stream && *stream != "all") {
    if (*stream != "stdout" && *stream != "stderr") {
      throw Error("query parameter stream: must be stdout, stderr or all, not '" + *stream + "'");
    }
    plan.options.stream = *stream;
  }
  plan.source = s.log_source(plan.task_id, plan.container);
  if (plan.source.driver == "journald") {
    return error_reply(http::status::not_implemented,
                       "container " + plan.container + " logs to journald; read them with " +
                           "journalctl CONTAINER_ID=" + plan.source.journald_container_id);
  }
  if (plan.source.driver != "file") {
    throw Error("container " + plan.container + " has no readable log (driver '" +
                plan.source.driver + "')");
  }
  ApiReply reply;
  reply.logs = std::move(plan);
  return reply;
}

ApiReply get_events(AgentService&, const Route& r) {
  EventStreamPlan plan;
  plan.since = parse_count(r.target.param("since"), "since");
  plan.follow = r.target.flag("follow");
  ApiReply reply;
  reply.events = plan;
  return reply;
}

ApiReply post_task(AgentService& s, const Route& r) {
  if (skiff::json_depth_violation(r.request.body, skiff::kMaxJsonDepth) != std::string::npos) {
    throw Error("body: nested deeper than " + std::to_string(skiff::kMaxJsonDepth) + " levels");
  }
  const auto source = r.target.param("source");
  // "<source>:<line>:<column>: malformed JSON: ...", as for a file in tasks.d.
  const std::string what = source.value_or("body");
  const json parsed = skiff::parse_json(r.request.body, what);
  if (!parsed.is_object()) throw Error(what + ": must be a JSON object (a task definition)");
  return ok(s.run_task(r.request.body, source.value_or("api")), http::status::created);
}

ApiReply stop_task(AgentService& s, const Route& r) {
  s.stop_task(r.params[0], reason_from(r, "stopped through the local API"));
  return ok(s.describe_task(r.params[0]), http::status::accepted);
}

ApiReply exec_target(AgentService& s, const Route& r) {
  ExecTarget t = s.exec_target(r.params[0], r.params[1]);
  return ok({{"runtime", t.runtime.native()},
             {"runtimeRoot", t.runtime_root.native()},
             {"containerId", t.container_id}});
}

struct RouteEntry {
  std::vector<std::string> pattern;  // "*" matches one segment and becomes a param
  http::verb method;
  Handler handler;
};

const std::vector<RouteEntry>& routes() {
  using V = http::verb;
  static const std::vector<RouteEntry> table = {
      {{"v1", "metadata"}, V::get, [](AgentService& s, const Route&) { return ok(s.metadata()); }},
      {{"v1", "tasks"}, V::get, [](AgentService& s, const Route&) { return ok(s.list_tasks()); }},
      {{"v1", "tasks"}, V::post, post_task},
      {{"v1", "tasks", "*"},
       V::get,
       [](AgentService& s, const Route& r) { return ok(s.describe_task(r.params[0])); }},
      {{"v1", "tasks", "*"}, V::delete_, stop_task},
      {{"v1", "tasks", "*", "stop"}, V::post, stop_task},
      {{"v1", "tasks", "*", "stats"},
       V::get,
       [](AgentService& s, const Route& r) { return ok(s.task_stats(r.params[0])); }},
      {{"v1", "tasks", "*", "containers", "*", "logs"}, V::get, get_logs},
      {{"v1", "tasks", "*", "containers", "*", "exec-target"}, V::get, exec_target},
      {{"v1", "events"}, V::get, get_events},
      {{"v1", "drain"},
       V::post,
       [](AgentService& s, const Route& r) {
         s.drain(reason_from(r, "drained through the local API"));
         return ok({{"drained", true}}, http::status::accepted);
       }},
  };
  return table;
}

bool matches(const std::vector<std::string>& pattern, const std::vector<std::string>& segments,
             std::vector<std::string>& params) {
  if (pattern.size() != segments.size()) return false;
  params.clear();
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == "*") {
      params.push_back(segments[i]);
    } else if (pattern[i] != segments[i]) {
      return false;
    }
  }
  return true;
}

ApiReply dispatch(AgentService& service, const ApiRequest& request) {
  HttpTarget target = parse_target(request.target);
  std::string allow;
  std::vector<std::string> params;
  for (const auto& entry : routes()) {
    if (!matches(entry.pattern, target.segments, params)) continue;
    if (entry.method == request.method) {
      return entry.handler(service, Route{params, target, request});
    }
    if (!allow.empty()) allow += ", ";
    allow += std::string(http::to_string(entry.method));
  }
  if (!allow.empty()) {
    ApiReply r = error_reply(http::status::method_not_allowed,
                             std::string(http::to_string(request.method)) + " is not allowed on " +
                                 request.target + " (allowed: " + allow + ")");
    r.allow = allow;
    return r;
  }
  return error_reply(http::status::not_found, "no such route: " + request.target);
}

}  // namespace

ApiReply error_reply(http::status status, const std::string& message) {
  return ok({{"error", message}}, status);
}

ApiReply handle_request(AgentService& service, const ApiRequest& request) {
  try {
    return dispatch(service, request);
  } catch (const NotFound& e) {
    return error_reply(http::status::not_found, e.what());
  } catch (const SysError& e) {
    // A failed system call is the agent's trouble, not the request's.
    return error_reply(http::status::internal_server_error, e.what());
  } catch (const Error& e) {
    return error_reply(http::status::bad_request, e.what());
  } catch (const json::exception& e) {
    return error_reply(http::status::bad_request, e.what());
  } catch (const std::exception& e) {
    return error_reply(http::status::internal_server_error, e.what());
  } catch (...) {
    return error_reply(http::status::internal_server_error, "unknown error");
  }
}

}  // namespace skiff::agent
