#include "controlplane/server/model.h"

#include <fmt/format.h>

#include <chrono>
#include <ctime>

namespace skiff::cp {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string iso_time(std::int64_t ms) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms % 1000);
}

std::string Instance::attribute(const std::string& name) const {
  if (name == "arch") return arch;
  // ECS's built-in attributes, as task definitions' constraints name them.
  if (name == "ecs.cpu-architecture") {
    if (arch == "amd64") return "x86_64";
    return arch;
  }
  if (name == "ecs.os-type") return os;
  if (name == "ecs.os-family") return os == "linux" ? "LINUX" : os;
  if (name == "os") return os;
  if (name == "kernel") return kernel;
  if (name == "cgroupMode") return cgroupMode;
  if (name == "hostname") return hostname;
  auto it = attributes.find(name);
  return it == attributes.end() ? std::string() : it->second;
}

Deployment* Service::primary() {
  for (auto& d : deployments) {
    if (d.status == "PRIMARY") return &d;
  }
  return nullptr;
}

}  // namespace skiff::cp
