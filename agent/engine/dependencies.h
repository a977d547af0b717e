// dependsOn, evaluated against the containers' known state (ECS semantics):
//   START    the target has started (RUNNING, or it already ran and stopped)
//   COMPLETE the target has exited, with any code
//   SUCCESS  the target has exited with code 0
//   HEALTHY  the target's health check reports HEALTHY
#pragma once

#include <string>

#include "agent/engine/task_record.h"
#include "agent/taskdef/task_definition.h"

namespace skiff::agent {

enum class DependencyState { Satisfied, Waiting, Impossible };

struct DependencyVerdict {
  DependencyState state = DependencyState::Satisfied;
  std::string reason;  // for Waiting and Impossible: which dependency and why
};

DependencyVerdict evaluate_dependencies(const ContainerDefinition& def, const TaskRecord& task);

// Shutdown runs in reverse: a container may stop once nothing that depends on it still runs.
bool dependents_stopped(const TaskDefinition& def, const TaskRecord& task,
                        const std::string& container);

}  // namespace skiff::agent
