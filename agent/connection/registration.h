// Registration with a control plane (docs/protocol.md, "Registration"): the activation is
// spent once, and the instance id and token it buys are kept in a 0600 file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "protocol/register.h"

namespace skiff::agent {

// "https://HOST:PORT" split up; throws naming `what` for anything else (TLS is mandatory).
struct Endpoint {
  std::string host;
  std::uint16_t port = 443;
  std::string url() const;
};
Endpoint parse_endpoint(const std::string& url, const std::string& what);

struct Registration {
  std::string instance_id;
  std::string cluster;
  std::string token;  // never logged
  std::string endpoint;
};

// Host facts for the register request: arch in ECS/OCI spelling (amd64, arm64), kernel,
// cgroup mode, cpu in ECS units (1024 per CPU) and memory.
protocol::RegisterRequest host_facts(const std::string& hostname_override);

// Reads `file`; nullopt if it does not exist. Throws naming the file if it is unreadable.
std::optional<Registration> load_registration(const std::filesystem::path& file);
void save_registration(const std::filesystem::path& file, const Registration& r);

// POST /v1/register. A refusal throws skiff::Error with the control plane's error code and
// message, e.g. "registration at https://h:1 refused (403 activation_exhausted): ...".
Registration register_instance(const Endpoint& endpoint, const std::filesystem::path& ca_file,
                               const protocol::RegisterRequest& request);

}  // namespace skiff::agent
