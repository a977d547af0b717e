#include "controlplane/server/taskdef.h"

#include <fmt/format.h>

#include <cctype>
#include <set>

#include "common/error.h"
#include "common/json_parse.h"
#ifdef SKIFF_CP_AGENT_TASKDEF
#include "agent/taskdef/task_definition.h"
#endif

namespace skiff::cp {
namespace {

// ECS accepts task-level cpu/memory as numbers or strings ("256", "1 vCPU" is not supported
// here: only plain integers).
std::uint64_t parse_units(const nlohmann::json& v, const std::string& field) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer() && v.get<std::int64_t>() >= 0) {
    return static_cast<std::uint64_t>(v.get<std::int64_t>());
  }
  if (v.is_string()) {
    const auto s = v.get<std::string>();
    if (!s.empty() && s.size() < 12 && s.find_first_not_of("0123456789") == std::string::npos) {
      return std::stoull(s);
    }
  }
  throw Error(fmt::format("{}: expected a non-negative integer, got {}", field, v.dump()));
}

std::uint64_t opt_units(const nlohmann::json& obj, const char* key, const std::string& path) {
  if (!obj.contains(key) || obj[key].is_null()) return 0;
  return parse_units(obj[key], path + "." + key);
}

bool valid_family(const std::string& f) {
  if (f.empty() || f.size() > 255) return false;
  for (char c : f) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) return false;
  }
  return true;
}

}  // namespace

TaskDef parse_task_definition(const nlohmann::json& j) {
  if (!j.is_object()) throw Error("task definition: expected a JSON object");
  // What the agent would refuse is neither stored nor forwarded.
  if (json_depth_violation(j.dump(), kMaxTaskDefinitionDepth) != std::string::npos) {
    throw Error(
        fmt::format("task definition: nested deeper than {} levels", kMaxTaskDefinitionDepth));
  }
  if (!j.contains("family") || !j["family"].is_string()) throw Error("family: missing");
  TaskDef td;
  td.family = j["family"].get<std::string>();
  if (!valid_family(td.family)) {
    throw Error("family: '" + td.family + "' must be 1-255 letters, digits, '-' or '_'");
  }
  if (!j.contains("containerDefinitions") || !j["containerDefinitions"].is_array() ||
      j["containerDefinitions"].empty()) {
    throw Error("containerDefinitions: missing or empty");
  }
  std::uint64_t sum_cpu = 0, sum_mem = 0;
  std::set<std::string> names;
  std::set<std::uint64_t> ports;
  const auto& defs = j["containerDefinitions"];
  for (std::size_t i = 0; i < defs.size(); ++i) {
    const auto path = fmt::format("containerDefinitions[{}]", i);
    const auto& c = defs[i];
    if (!c.is_object()) throw Error(path + ": expected an object");
    for (const char* key : {"name", "image"}) {
      if (!c.contains(key) || !c[key].is_string() || c[key].get<std::string>().empty()) {
        throw Error(fmt::format("{}.{}: missing", path, key));
      }
    }
    const auto name = c["name"].get<std::string>();
    if (!names.insert(name).second) throw Error(path + ".name: duplicate '" + name + "'");
    sum_cpu += opt_units(c, "cpu", path);
    auto mem = opt_units(c, "memory", path);
    if (mem == 0) mem = opt_units(c, "memoryReservation", path);
    sum_mem += mem;
    if (c.contains("portMappings")) {
      const auto& pm = c["portMappings"];
      if (!pm.is_array()) throw Error(path + ".portMappings: expected an array");
      for (std::size_t k = 0; k < pm.size(); ++k) {
        const auto ppath = fmt::format("{}.portMappings[{}]", path, k);
        if (!pm[k].is_object()) throw Error(ppath + ": expected an object");
        const auto cport = opt_units(pm[k], "containerPort", ppath);
        if (cport == 0 || cport > 65535) throw Error(ppath + ".containerPort: not a port");
        const auto hport = opt_units(pm[k], "hostPort", ppath);
        if (hport > 65535) throw Error(ppath + ".hostPort: not a port");
        if (hport != 0 && !ports.insert(hport).second) {
          throw Error(fmt::format("{}.hostPort: {} used twice", ppath, hport));
        }
      }
    }
  }
  td.cpu = j.contains("cpu") && !j["cpu"].is_null() ? parse_units(j["cpu"], "cpu") : sum_cpu;
  td.memoryMiB =
      j.contains("memory") && !j["memory"].is_null() ? parse_units(j["memory"], "memory") : sum_mem;
  td.hostPorts.assign(ports.begin(), ports.end());
  td.definition = j;
#ifdef SKIFF_CP_AGENT_TASKDEF
  // The agent's own parser: what it would refuse at start time is refused at registration.
  agent::parse_task_definition(j.dump(), "taskDefinition");
#endif
  return td;
}

std::vector<std::string> health_checked_containers(const nlohmann::json& definition) {
  std::vector<std::string> out;
  for (const auto& c : definition.value("containerDefinitions", nlohmann::json::array())) {
    if (c.is_object() && c.contains("healthCheck") && c["healthCheck"].is_object()) {
      out.push_back(c.value("name", ""));
    }
  }
  return out;
}

}  // namespace skiff::cp
