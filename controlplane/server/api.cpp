#include "controlplane/server/api.h"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <vector>

#include "common/json_parse.h"
#include "protocol/json_reader.h"
#include "protocol/limits.h"

namespace skiff::cp {
namespace {

using nlohmann::json;

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < path.size()) {
    auto j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::string query_param(std::string_view query, const std::string& key) {
  std::size_t i = 0;
  while (i < query.size()) {
    auto j = query.find('&', i);
    if (j == std::string_view::npos) j = query.size();
    auto kv = query.substr(i, j - i);
    auto eq = kv.find('=');
    if (eq != std::string_view::npos && kv.substr(0, eq) == key)
      return std::string(kv.substr(eq + 1));
    i = j + 1;
  }
  return "";
}

// Before any parse: a deep body is refused the same way on every route.
void check_body_depth(const std::string& body) {
  if (skiff::json_depth_violation(body, skiff::kMaxJsonDepth) != std::string::npos) {
    throw ApiError(400, "bad_request",
                   "body: nested deeper than " + std::to_string(skiff::kMaxJsonDepth) + " levels");
  }
}

json parse_body(const std::string& body) {
  if (body.empty()) return json::object();
  check_body_depth(body);
  try {
    return skiff::parse_json(body, "body");
  } catch (const skiff::JsonInputError& e) {
    throw ApiError(400, "bad_request", e.what());
  }
}

bool admin_ok(const std::string& authorization, const std::string& admin_token) {
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() != kBearer.size() + admin_token.size() ||
      authorization.compare(0, kBearer.size(), kBearer) != 0) {
    return false;
  }
  return CRYPTO_memcmp(authorization.data() + kBearer.size(), admin_token.data(),
                       admin_token.size()) == 0;
}

HttpReply route(Controller& c, const HttpCall& call) {
  const auto qpos = call.target.find('?');
  const std::string path = call.target.substr(0, qpos);
  const std::string query = qpos == std::string::npos ? "" : call.target.substr(qpos + 1);
  const auto p = split_path(path);
  const auto& m = call.method;
  const auto n = p.size();
  auto is = [&](std::initializer_list<const char*> shape) {
    if (shape.size() != n) return false;
    std::size_t i = 0;
    for (const char* s : shape) {
      if (std::string_view(s) != "*" && p[i] != s) return false;
      ++i;
    }
    return true;
  };
  if (n == 0 || p[0] != "v1") throw ApiError(404, "not_found", "no route " + path);
  const auto body = [&] { return parse_body(call.body); };

  if (is({"v1", "clusters"})) {
    if (m == "POST") return {201, c.create_cluster(body())};
    if (m == "GET") return {200, c.list_clusters()};
  } else if (is({"v1", "clusters", "*"})) {
    if (m == "GET") return {200, c.describe_cluster(p[2])};
    if (m == "DELETE") {
      c.delete_cluster(p[2]);
      return {200, json{{"deleted", p[2]}}};
    }
  } else if (is({"v1", "clusters", "*", "activations"})) {
    if (m == "POST") return {201, c.create_activation(p[2], body())};
    if (m == "GET") return {200, c.list_activations(p[2])};
  } else if (is({"v1", "clusters", "*", "instances"})) {
    if (m == "GET") return {200, c.list_instances(p[2])};
  } else if (is({"v1", "instances", "*"})) {
    if (m == "GET") return {200, c.describe_instance(p[2])};
  } else if (is({"v1", "instances", "*", "drain"})) {
    if (m == "POST") return {200, c.drain_instance(p[2])};
  } else if (is({"v1", "instances", "*", "revoke"})) {
    if (m == "POST") return {200, c.revoke_instance(p[2])};
  } else if (is({"v1", "taskdefs"})) {
    if (m == "POST") {
      check_body_depth(call.body);
      return {201, c.register_taskdef(call.body)};
    }
    if (m == "GET") return {200, c.list_taskdefs()};
  } else if (is({"v1", "taskdefs", "*"})) {
    if (m == "GET") return {200, c.describe_taskdef(p[2], "")};
  } else if (is({"v1", "taskdefs", "*", "*"})) {
    if (m == "GET") return {200, c.describe_taskdef(p[2], p[3])};
    if (m == "DELETE") return {200, c.deregister_taskdef(p[2], p[3])};
  } else if (is({"v1", "clusters", "*", "tasks"})) {
    if (m == "POST") return {201, c.run_task(p[2], body())};
    if (m == "GET") return {200, c.list_tasks(p[2], query_param(query, "service"))};
  } else if (is({"v1", "tasks", "*"})) {
    if (m == "GET") return {200, c.describe_task(p[2])};
  } else if (is({"v1", "tasks", "*", "stop"})) {
    if (m == "POST") return {200, c.stop_task(p[2], body())};
  } else if (is({"v1", "clusters", "*", "services"})) {
    if (m == "POST") return {201, c.create_service(p[2], body())};
    if (m == "GET") return {200, c.list_services(p[2])};
  } else if (is({"v1", "clusters", "*", "services", "*"})) {
    if (m == "GET") return {200, c.describe_service(p[2], p[4])};
    if (m == "POST") return {200, c.update_service(p[2], p[4], body())};
    if (m == "DELETE") return {200, c.delete_service(p[2], p[4])};
  } else {
    throw ApiError(404, "not_found", "no route " + path);
  }
  throw ApiError(405, "method_not_allowed", m + " is not allowed on " + path);
}

HttpReply do_register(Controller& c, const HttpCall& call) {
  if (call.method != "POST") {
    return {405, json{{"error", "method_not_allowed"}, {"message", "use POST /v1/register"}},
            "POST"};
  }
  if (call.body.size() > protocol::kMaxRegisterBodyBytes) {
    throw ApiError(413, "too_large", "body: over 64 KiB");
  }
  const auto j = parse_body(call.body);
  protocol::RegisterRequest req;
  try {
    req = protocol::parse_register_request(j);
  } catch (const protocol::ProtocolError& e) {
    throw ApiError(400, "bad_request", e.what());
  }
  return {201, protocol::to_json(c.register_instance(req, call.peer_address))};
}

}  // namespace

HttpReply handle_http(Controller& controller, const std::string& admin_token,
                      const HttpCall& call) {
  try {
    if (call.target == "/v1/register") return do_register(controller, call);
    if (call.target == "/v1/health") {
      if (call.method == "GET") return {200, json{{"status", "ok"}}};
      return {405,
              json{{"error", "method_not_allowed"},
                   {"message", call.method + " is not allowed on /v1/health"}},
              "GET"};
    }
    if (!admin_ok(call.authorization, admin_token)) {
      throw ApiError(401, "unauthorized", "Authorization: Bearer admin token required");
    }
    HttpReply reply;
    try {
      reply = route(controller, call);
    } catch (const ApiError& e) {
      reply = {static_cast<unsigned>(e.status()), json{{"error", e.code()}, {"message", e.what()}}};
    }
    reply.authenticated = true;
    return reply;
  } catch (const ApiError& e) {
    return {static_cast<unsigned>(e.status()), json{{"error", e.code()}, {"message", e.what()}}};
  } catch (const std::exception& e) {
    // A bug or a store failure: answer, log, keep serving.
    spdlog::error("{} {}: {}", call.method, call.target, e.what());
    return {500, json{{"error", "internal"}, {"message", e.what()}}};
  }
}

}  // namespace skiff::cp
