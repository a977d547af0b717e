// Reading the agent's task views (docs/agent-api.md) for human output.
#pragma once

#include <ctime>
#include <nlohmann/json.hpp>
#include <string>

namespace skiff::ctl {

// "HEALTHY" if every checked container is, "UNHEALTHY" if any is, "-" if none is checked.
std::string task_health(const nlohmann::json& task);
// "2/3": running containers out of all.
std::string container_count(const nlohmann::json& task);
// "RUNNING", or "RUNNING (stopping)" while the desired status is already STOPPED.
std::string task_status(const nlohmann::json& task);
// Age of an RFC 3339 UTC timestamp at `now`: "42s", "5m", "3h", "2d"; "-" if unreadable.
std::string age(const std::string& rfc3339, std::time_t now);

}  // namespace skiff::ctl
