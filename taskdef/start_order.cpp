// start_order(): containers after their dependencies, otherwise in definition order.
#include <algorithm>

#include "common/error.h"
#include "taskdef/task_definition.h"

namespace skiff::taskdef {
namespace {

std::size_t index_of(const TaskDefinition& task, const std::string& name) {
  for (std::size_t i = 0; i < task.containers.size(); ++i) {
    if (task.containers[i].name == name) return i;
  }
  throw Error("dependsOn: unknown container \"" + name + "\"");
}

// Follows unplaced dependencies from `start` until one repeats; that stretch is a cycle.
std::string describe_cycle(const TaskDefinition& task, const std::vector<bool>& placed,
                           std::size_t start) {
  std::vector<std::size_t> walk{start};
  for (;;) {
    const ContainerDefinition& c = task.containers[walk.back()];
    std::size_t next = task.containers.size();
    for (const auto& d : c.depends_on) {
      const std::size_t k = index_of(task, d.container_name);
      if (!placed[k]) {
        next = k;
        break;
      }
    }
    // Every unplaced container has an unplaced dependency, so `next` is always found.
    const auto seen = std::find(walk.begin(), walk.end(), next);
    if (seen != walk.end() || next == task.containers.size()) {
      std::string text = "dependsOn cycle: ";
      for (auto it = seen; it != walk.end(); ++it) text += task.containers[*it].name + " -> ";
      return text + (seen != walk.end() ? task.containers[next].name : std::string("?"));
    }
    walk.push_back(next);
  }
}

}  // namespace

std::vector<std::string> start_order(const TaskDefinition& task) {
  const std::size_t n = task.containers.size();
  std::vector<bool> placed(n, false);
  std::vector<std::string> order;
  order.reserve(n);
  while (order.size() < n) {
    bool progress = false;
    // The first container (in definition order) whose dependencies have all started.
    for (std::size_t i = 0; i < n && !progress; ++i) {
      if (placed[i]) continue;
      const auto& deps = task.containers[i].depends_on;
      const bool ready = std::all_of(deps.begin(), deps.end(), [&](const ContainerDependency& d) {
        return placed[index_of(task, d.container_name)];
      });
      if (ready) {
        placed[i] = true;
        order.push_back(task.containers[i].name);
        progress = true;
      }
    }
    if (!progress) {
      const auto first =
          static_cast<std::size_t>(std::find(placed.begin(), placed.end(), false) - placed.begin());
      throw Error(describe_cycle(task, placed, first));
    }
  }
  return order;
}

}  // namespace skiff::taskdef
