#include "agent/engine/dependencies.h"

namespace skiff::agent {
namespace {

bool has_started(const ContainerRecord& c) {
  return c.known == ContainerStatus::Running ||
         (c.known == ContainerStatus::Stopped && c.started_at_ms > 0);
}

DependencyVerdict check_one(const ContainerDependency& dep, const ContainerRecord& target) {
  const bool stopped = target.known == ContainerStatus::Stopped;
  const std::string what =
      "dependsOn " + target.name + " (" + std::string(to_string(dep.condition)) + ")";
  switch (dep.condition) {
    case DependencyCondition::Start:
      if (has_started(target)) return {};
      if (stopped) return {DependencyState::Impossible, what + ": it stopped without starting"};
      return {DependencyState::Waiting, what};
    case DependencyCondition::Complete:
      if (stopped) return {};
      return {DependencyState::Waiting, what};
    case DependencyCondition::Success:
      if (!stopped) return {DependencyState::Waiting, what};
      if (target.exit_code && *target.exit_code == 0) return {};
      return {DependencyState::Impossible,
              what + ": it exited with " +
                  (target.exit_code ? "code " + std::to_string(*target.exit_code)
                                    : std::string("no exit code"))};
    case DependencyCondition::Healthy:
      if (target.health == Health::Healthy && !stopped) return {};
      if (stopped) return {DependencyState::Impossible, what + ": it stopped"};
      return {DependencyState::Waiting, what};
  }
  return {};
}

}  // namespace

DependencyVerdict evaluate_dependencies(const ContainerDefinition& def, const TaskRecord& task) {
  DependencyVerdict waiting;
  for (const auto& dep : def.depends_on) {
    const ContainerRecord* target = task.container(dep.container_name);
    if (target == nullptr) {
      return {DependencyState::Impossible,
              "dependsOn " + dep.container_name + ": no such container"};
    }
    auto v = check_one(dep, *target);
    if (v.state == DependencyState::Impossible) return v;
    if (v.state == DependencyState::Waiting && waiting.state == DependencyState::Satisfied) {
      waiting = v;
    }
  }
  return waiting;
}

bool dependents_stopped(const TaskDefinition& def, const TaskRecord& task,
                        const std::string& container) {
  for (const auto& other : def.containers) {
    for (const auto& dep : other.depends_on) {
      if (dep.container_name != container) continue;
      const ContainerRecord* rec = task.container(other.name);
      if (rec != nullptr && rec->known != ContainerStatus::Stopped &&
          rec->known != ContainerStatus::None && rec->known != ContainerStatus::Pulled) {
        return false;
      }
    }
  }
  return true;
}

}  // namespace skiff::agent
