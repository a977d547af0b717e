#include "controlplane/server/taskdef.h"

#include <set>

#include "common/error.h"
#include "common/json_parse.h"
#include "taskdef/task_definition.h"

namespace skiff::cp {
namespace {

using nlohmann::json;

// The definition as stored and sent to agents: describe-task-definition output is unwrapped,
// its tags kept, so that every reader finds containerDefinitions at the top.
json stored_definition(std::string_view text, std::string_view source) {
  json doc = skiff::parse_json(text, source, kMaxTaskDefinitionDepth);
  if (!doc.contains("taskDefinition")) return doc;
  json inner = doc["taskDefinition"];
  if (doc.contains("tags") && !inner.contains("tags")) inner["tags"] = doc["tags"];
  return inner;
}

}  // namespace

TaskDef parse_task_definition(std::string_view text, std::string_view source) {
  const taskdef::TaskDefinition task = taskdef::parse_task_definition(text, source);
  TaskDef td;
  td.family = task.family;
  td.definition = stored_definition(text, source);
  std::uint64_t sum_cpu = 0;
  std::uint64_t sum_memory = 0;
  std::set<std::uint64_t> tcp;
  std::set<std::uint64_t> udp;
  for (const auto& c : task.containers) {
    sum_cpu += c.cpu.value_or(0);
    sum_memory += c.memory_mib ? *c.memory_mib : c.memory_reservation_mib.value_or(0);
    // The model holds the port the agent binds on the host: containerPort when hostPort is
    // absent or 0 (the parser refuses duplicates per protocol).
    for (const auto& p : c.port_mappings) (p.protocol == "udp" ? udp : tcp).insert(p.host_port);
  }
  td.cpu = task.cpu ? *task.cpu : sum_cpu;
  td.memoryMiB = task.memory_mib ? *task.memory_mib : sum_memory;
  td.hostPorts.assign(tcp.begin(), tcp.end());
  td.hostUdpPorts.assign(udp.begin(), udp.end());
  json constraints = json::array();
  for (const auto& c : task.placement_constraints) {
    constraints.push_back({{"type", c.type}, {"expression", c.expression}});
  }
  if (const auto arch = taskdef::oci_architecture(task.runtime_platform); !arch.empty()) {
    // Never an arm64 image on an x86 host, nor the reverse.
    constraints.push_back(
        {{"type", "memberOf"}, {"expression", "attribute:arch == " + std::string(arch)}});
  }
  td.placementConstraints = std::move(constraints);
  td.warnings = task.warnings;
  return td;
}

std::vector<std::string> health_checked_containers(const json& definition) {
  std::vector<std::string> out;
  for (const auto& c : definition.value("containerDefinitions", json::array())) {
    if (c.is_object() && c.contains("healthCheck") && c["healthCheck"].is_object()) {
      out.push_back(c.value("name", ""));
    }
  }
  return out;
}

}  // namespace skiff::cp
