// dependsOn, evaluated against the containers' known state (ECS semantics):
//   START    the target has started (RUNNING, or it already ran and stopped)
//   COMPLETE the target has exited, with any code
//   SUCCESS  the target has exited with code 0
//   HEALTHY  the target's health check reports HEALTHY
// startTimeout belongs to the target: when the target of a COMPLETE, SUCCESS or HEALTHY
// dependency declares one, the condition must hold within that many seconds of the
// target's start; past it the dependent gives up and the target is stopped (ECS).
#pragma once

#include <cstdint>
#include <string>

#include "agent/engine/task_model.h"
#include "agent/engine/task_record.h"

namespace skiff::agent {

enum class DependencyState { Satisfied, Waiting, Impossible, TimedOut };

struct DependencyVerdict {
  DependencyState state = DependencyState::Satisfied;
  std::string reason;  // for Waiting, Impossible and TimedOut: which dependency and why
  std::string target;  // TimedOut: the container whose startTimeout passed (to stop)
  // Waiting: when the earliest target's startTimeout ends (0: only a state change helps).
  std::int64_t wake_at_ms = 0;
};

DependencyVerdict evaluate_dependencies(const TaskDefinition& task_def,
                                        const ContainerDefinition& def, const TaskRecord& task,
                                        std::int64_t now_ms);

// Shutdown runs in reverse: a container may stop once nothing that depends on it still runs.
bool dependents_stopped(const TaskDefinition& def, const TaskRecord& task,
                        const std::string& container);

}  // namespace skiff::agent
