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
      if (stopped) {
        return {DependencyState::Impossible, what + ": it stopped without starting", "", 0};
      }
      return {DependencyState::Waiting, what, "", 0};
    case DependencyCondition::Complete:
      if (stopped) return {};
      return {DependencyState::Waiting, what, "", 0};
    case DependencyCondition::Success:
      if (!stopped) return {DependencyState::Waiting, what, "", 0};
      if (target.exit_code && *target.exit_code == 0) return {};
      return {DependencyState::Impossible,
              what + ": it exited with " +
                  (target.exit_code ? "code " + std::to_string(*target.exit_code)
                                    : std::string("no exit code")),
              "", 0};
    case DependencyCondition::Healthy:
      if (target.health == Health::Healthy && !stopped) return {};
      if (stopped) return {DependencyState::Impossible, what + ": it stopped", "", 0};
      return {DependencyState::Waiting, what, "", 0};
  }
  return {};
}

}  // namespace

DependencyVerdict evaluate_dependencies(const TaskDefinition& task_def,
                                        const ContainerDefinition& def, const TaskRecord& task,
                                        std::int64_t now_ms) {
  DependencyVerdict waiting;
  for (const auto& dep : def.depends_on) {
    const ContainerRecord* target = task.container(dep.container_name);
    if (target == nullptr) {
      return {DependencyState::Impossible,
              "dependsOn " + dep.container_name + ": no such container", "", 0};
    }
    auto v = check_one(dep, *target);
    if (v.state == DependencyState::Impossible) return v;
    if (v.state != DependencyState::Waiting) continue;
    const ContainerDefinition* target_def = task_def.find_container(dep.container_name);
    if (dep.condition != DependencyCondition::Start && target_def != nullptr &&
        target_def->start_timeout && has_started(*target)) {
      const std::int64_t deadline =
          target->started_at_ms + std::int64_t{*target_def->start_timeout} * 1000;
      if (now_ms >= deadline) {
        return {DependencyState::TimedOut,
                v.reason + " not met within " + target->name + "'s startTimeout " +
                    std::to_string(*target_def->start_timeout) + "s",
                target->name, 0};
      }
      if (waiting.wake_at_ms == 0 || deadline < waiting.wake_at_ms) waiting.wake_at_ms = deadline;
    }
    if (waiting.state == DependencyState::Satisfied) {
      const std::int64_t wake = waiting.wake_at_ms;
      waiting = v;
      waiting.wake_at_ms = wake;
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
