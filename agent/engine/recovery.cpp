// Start-up recovery: make the saved state true again before doing anything new.
//
// Each container is in one of the states the loop saves *before* acting, so there are few
// cases. STOPPED (or PULLED for a restart) with a shim still named: its exit was saved and
// the cleanup did not happen; do it. CREATING: a shim launch was in flight; keep the container if
// the shim made it, else remove whatever half exists. CREATED/RUNNING: leave it to the loop, which
// adopts a live shim or reads the exit record of a dead one (or reports the container vanished).
// Runtime containers that no task knows about are removed, so nothing is orphaned.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <set>

#include "agent/engine/engine.h"
#include "common/error.h"

namespace skiff::agent {

void TaskEngine::recover_container(Task& t, ContainerRecord& c,
                                   std::vector<std::string>& problems) {
  if (has_leftovers(c)) {
    // The exit was saved, then the agent died before removing the shim's and the runtime's
    // leftovers (save_then_cleanup): finish that.
    try {
      containers_.cleanup(t.record, c);
    } catch (const std::exception& e) {
      problems.push_back(e.what());
    }
    c.shim_pid = 0;
    c.pid = 0;
    t.dirty = true;
    return;
  }
  if (c.known != ContainerStatus::Creating) return;
  std::optional<ShimInfo> info;
  try {
    info = containers_.live_shim(t.record, c);
  } catch (const std::exception& e) {
    problems.push_back(e.what());
  }
  if (info) {
    std::optional<std::string> status;
    try {
      status = containers_.runtime_status(c);
    } catch (const std::exception& e) {
      problems.push_back(e.what());
    }
    if (status == "created" || status == "running" || status == "paused") {
      c.shim_pid = info->shim_pid;
      c.pid = info->container_pid;
      c.known = *status == "created" ? ContainerStatus::Created : ContainerStatus::Running;
      if (c.known == ContainerStatus::Running && c.started_at_ms == 0)
        c.started_at_ms = clock_.now_ms();
      t.dirty = true;
      emit(t, &c, "recovered", {{"action", "adopted a container created before the restart"}});
      return;
    }
  }
  // Half made: the shim may be gone, or still in the middle of `create`; stop whatever is in
  // flight first so nothing finishes creating after we cleaned up.
  containers_.kill_in_flight(c.runtime_id);
  containers_.cleanup(t.record, c);
  c.known = ContainerStatus::Pulled;
  c.shim_pid = 0;
  c.pid = 0;
  t.dirty = true;
  emit(t, &c, "recovered", {{"action", "removed a half-created container"}});
}

std::vector<std::string> TaskEngine::recover() {
  std::vector<std::string> problems;
  auto records = store_.load_all(problems);
  std::lock_guard lock(mu_);
  std::set<std::string> known_ids;
  for (auto& record : records) {
    auto task = std::make_unique<Task>();
    try {
      ParseOptions options;
      options.default_stop_timeout = config_.default_stop_timeout;
      task->definition = parse_task_definition(record.definition.dump(), record.source, options);
    } catch (const std::exception& e) {
      problems.push_back("task " + record.id + ": " + e.what());
      continue;
    }
    task->record = std::move(record);
    for (auto& c : task->record.containers) {
      recover_container(*task, c, problems);
      if (c.known == ContainerStatus::Created || c.known == ContainerStatus::Running) {
        known_ids.insert(c.runtime_id);
      }
    }
    if (task->dirty) save(*task);
    std::string id = task->record.id;
    tasks_.emplace(id, std::move(task));
  }
  // Containers in our runtime root that no task owns: a crash between runtime and state.
  std::vector<std::string> runtime_ids;
  try {
    runtime_ids = containers_.runtime_containers();
  } catch (const std::exception& e) {
    problems.push_back(e.what());
  }
  for (const auto& id : runtime_ids) {
    if (known_ids.contains(id)) continue;
    try {
      containers_.remove_runtime_container(id);
      spdlog::warn("removed orphaned container {}", id);
      events_.publish({{"type", "orphan"}, {"runtimeId", id}});
    } catch (const std::exception& e) {
      problems.push_back(e.what());
    }
  }
  for (const auto& p : problems) spdlog::warn("recovery: {}", p);
  events_.publish({{"type", "recovered"}, {"tasks", tasks_.size()}});
  return problems;
}

}  // namespace skiff::agent
