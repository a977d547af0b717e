// Minimal validation of an ECS task definition and the figures the scheduler needs.
// (The agent's full parser lives in agent/taskdef; this only checks what placement and
// dispatch rely on, and names the field at fault.)
#pragma once

#include <nlohmann/json.hpp>

#include "controlplane/server/model.h"

namespace skiff::cp {

// Fills family, definition, cpu, memoryMiB, hostPorts. Throws skiff::Error naming the field.
TaskDef parse_task_definition(const nlohmann::json& j);

// Names of containers that declare a healthCheck.
std::vector<std::string> health_checked_containers(const nlohmann::json& definition);

}  // namespace skiff::cp
