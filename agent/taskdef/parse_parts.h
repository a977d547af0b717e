// The pieces of parse_task_definition(), one file each.
#pragma once

#include <string>
#include <string_view>

#include "agent/taskdef/json_reader.h"
#include "agent/taskdef/task_definition.h"

namespace skiff::agent::detail {

// ECS's rule for family, container and volume names: 1..255 letters, digits, '-', '_'.
void check_ecs_name(const std::string& name, const std::string& path);

ContainerDefinition parse_container(const json& j, const std::string& path, NetworkMode network,
                                    const ParseOptions& options, Unsupported& unsupported);
Volume parse_volume(const json& j, const std::string& path, Unsupported& unsupported);

// Rules across fields and containers (names, memory and cpu sums, ports, volumes,
// dependencies). Throws on the first violation.
void validate_task(const TaskDefinition& task);

}  // namespace skiff::agent::detail
