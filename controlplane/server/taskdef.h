// What the control plane needs of a task definition, over the one parser (taskdef/): the
// record it stores and the placement demand (cpu, memory, host ports, constraints).
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "controlplane/server/model.h"

namespace skiff::cp {

// Parses and validates `text` as the agent would (what the agent would refuse is neither
// stored nor forwarded) and fills family, definition, cpu, memoryMiB, host ports,
// placement constraints and warnings. Throws skiff::Error naming the field, or
// "<source>:<line>:<column>: malformed JSON: ..." for bad JSON.
TaskDef parse_task_definition(std::string_view text, std::string_view source);

// Names of containers that declare a healthCheck.
std::vector<std::string> health_checked_containers(const nlohmann::json& definition);

}  // namespace skiff::cp
