// The pieces of parse_task_definition(), one file each.
#pragma once

#include <string>
#include <string_view>

#include "taskdef/json_reader.h"
#include "taskdef/task_definition.h"

namespace skiff::taskdef::detail {

// ECS's rule for family, container and volume names: 1..255 letters, digits, '-', '_'.
void check_ecs_name(const std::string& name, const std::string& path);

// `task` holds the task-level fields already read (the network mode).
ContainerDefinition parse_container(const json& j, const std::string& path,
                                    const TaskDefinition& task, const ParseOptions& options,
                                    Unsupported& unsupported);
Volume parse_volume(const json& j, const std::string& path, Unsupported& unsupported);

// Rules across fields and containers (names, memory and cpu sums, ports, volumes,
// dependencies). Throws on the first violation.
void validate_task(const TaskDefinition& task);

}  // namespace skiff::taskdef::detail
