// POST /v1/register request and response (docs/protocol.md, "Registration").
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace skiff::protocol {

struct RegisterRequest {
  std::string activationId;
  std::string activationCode;
  std::string hostname;
  std::string arch;
  std::string os;
  std::string kernel;
  std::string cgroupMode;
  std::uint64_t cpu = 0;  // ECS units, 1024 per vCPU
  std::uint64_t memoryMiB = 0;
  std::map<std::string, std::string> attributes;
  std::string address;  // optional
};

struct RegisterResponse {
  std::string instanceId;
  std::string cluster;
  std::string token;
};

// Throws ProtocolError (code bad_request) naming the field.
RegisterRequest parse_register_request(const nlohmann::json& j);
nlohmann::json to_json(const RegisterRequest& r);
RegisterResponse parse_register_response(const nlohmann::json& j);
nlohmann::json to_json(const RegisterResponse& r);

}  // namespace skiff::protocol
