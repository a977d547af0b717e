#include "agent/engine/engine.h"

#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>

#include "agent/engine/dependencies.h"
#include "agent/engine/image_puller.h"
#include "agent/engine/restart_policy.h"
#include "agent/engine/state_store.h"
#include "common/error.h"
#include "image/store/digest.h"

namespace skiff::agent {
namespace {

std::int64_t earliest(std::int64_t a, std::int64_t b) {
  if (a == 0) return b;
  if (b == 0) return a;
  return std::min(a, b);
}

std::vector<std::string> probe_command(const HealthCheck& check) {
  if (check.command.empty()) return {};
  std::vector<std::string> rest(check.command.begin() + 1, check.command.end());
  if (check.command[0] == "CMD-SHELL") {
    std::string script;
    for (const auto& part : rest) script += (script.empty() ? "" : " ") + part;
    return {"/bin/sh", "-c", script};
  }
  return rest;
}

// Saved as ended (or ended for a restart) but still naming a shim: its exit record and
// runtime state wait for removal. Recovery applies the same rule after a crash.
bool any_leftovers(const TaskRecord& r) {
  return std::any_of(r.containers.begin(), r.containers.end(), has_leftovers);
}

std::string exit_description(const ContainerRecord& c) {
  if (c.exit_signal > 0) return "killed by signal " + std::to_string(c.exit_signal);
  if (c.exit_code) return "exited with code " + std::to_string(*c.exit_code);
  return "exited";
}

}  // namespace

struct TaskEngine::Owned {
  Owned(const EngineConfig& config, image::Images& images)
      : runner(config.runner, images),
        store(config.runner.paths),
        puller(images, config.image_helper) {}
  EngineParts parts() { return {runner, puller, store, clock}; }

  ContainerRunner runner;
  StateStore store;
  ImagePuller puller;
  SystemClock clock;
};

TaskEngine::TaskEngine(EngineConfig config, image::Images& images)
    : TaskEngine(config, std::make_unique<Owned>(config, images)) {}

TaskEngine::TaskEngine(EngineConfig config, std::unique_ptr<Owned> owned)
    : TaskEngine(std::move(config), owned->parts()) {
  owned_ = std::move(owned);
}

TaskEngine::TaskEngine(EngineConfig config, EngineParts parts)
    : config_(std::move(config)),
      wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      containers_(parts.containers),
      images_(parts.images),
      store_(parts.store),
      clock_(parts.clock) {
  if (!wake_fd_) throw_errno("eventfd", "");
  images_.on_done([this] { wake(); });
}

TaskEngine::~TaskEngine() {
  stop();
}

void TaskEngine::start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void TaskEngine::stop() {
  stopping_ = true;
  wake();
  if (thread_.joinable()) thread_.join();
}

void TaskEngine::wake() {
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_.get(), &one, sizeof one);
}

std::int64_t TaskEngine::reconcile_once() {
  std::lock_guard lock(mu_);
  last_loop_ms_ = clock_.now_ms();
  return reconcile_all();
}

void TaskEngine::loop() {
  while (!stopping_) {
    last_loop_ms_ = clock_.now_ms();
    std::vector<pollfd> fds{{wake_fd_.get(), POLLIN, 0}};
    std::int64_t next;
    {
      std::lock_guard lock(mu_);
      next = reconcile_all();
      for (auto& [id, t] : tasks_) {
        for (auto& [name, live] : t->live) {
          if (live.exit_watch && live.exit_watch->fd() >= 0) {
            fds.push_back({live.exit_watch->fd(), POLLIN, 0});
          }
        }
      }
    }
    std::int64_t wait =
        next == 0 ? 1000 : std::clamp<std::int64_t>(next - clock_.now_ms(), 0, 1000);
    ::poll(fds.data(), fds.size(), static_cast<int>(wait));
    std::uint64_t drained;
    [[maybe_unused]] auto n = ::read(wake_fd_.get(), &drained, sizeof drained);
  }
}

std::int64_t TaskEngine::reconcile_all() {
  forget_old_tasks();
  std::int64_t next = 0;
  for (auto& [id, t] : tasks_) {
    try {
      next = earliest(next, reconcile(*t));
    } catch (const std::exception& e) {
      // A bug or an unexpected system error in one task must not stop the others.
      spdlog::error("task {}: {}", id, e.what());
      next = earliest(next, clock_.now_ms() + 1000);
    }
  }
  return next;
}

void TaskEngine::forget_old_tasks() {
  // ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION: a stopped task stays visible for a while, then
  // its state and logs go, so an agent that runs for months does not grow without bound.
  const std::int64_t cutoff =
      clock_.now_ms() - std::int64_t{config_.task_cleanup_wait_seconds} * 1000;
  for (auto it = tasks_.begin(); it != tasks_.end();) {
    const TaskRecord& r = it->second->record;
    if (r.known != TaskStatus::Stopped || it->second->dirty || r.stopped_at_ms == 0 ||
        r.stopped_at_ms > cutoff) {
      ++it;
      continue;
    }
    try {
      store_.remove(r.id);
      std::error_code ec;
      std::filesystem::remove_all(config_.runner.paths.logs / "tasks" / r.id, ec);
    } catch (const std::exception& e) {
      spdlog::warn("task {}: cleanup: {}", r.id, e.what());
      ++it;
      continue;
    }
    events_.publish({{"type", "forgotten"}, {"taskId", r.id}, {"family", r.family}});
    it = tasks_.erase(it);
  }
}

std::int64_t TaskEngine::reconcile(Task& t) {
  cleanup_leftovers(t);
  if (t.record.known == TaskStatus::Stopped) {
    if (t.dirty) save(t);
    return t.dirty ? clock_.now_ms() + 1000 : 0;
  }
  std::int64_t next = 0;
  for (const auto& name : start_order(t.definition)) {
    ContainerRecord* c = t.record.container(name);
    const ContainerDefinition* cd = t.definition.find_container(name);
    if (c == nullptr || cd == nullptr) continue;
    next = earliest(next, step(t, *c, *cd));
  }
  update_task_status(t);
  if (t.dirty) {
    save(t);
    if (t.dirty) next = earliest(next, clock_.now_ms() + 1000);  // retry a failed save
  }
  // Exits that reached the disk only now: their leftovers go in the next pass.
  if (!t.dirty && any_leftovers(t.record)) next = clock_.now_ms();
  return next;
}

bool TaskEngine::stopping(const Task& t, const ContainerRecord& c) const {
  return t.record.desired == TaskStatus::Stopped || c.desired == ContainerStatus::Stopped;
}

std::int64_t TaskEngine::step(Task& t, ContainerRecord& c, const ContainerDefinition& cd) {
  const std::int64_t now = clock_.now_ms();
  Live& live = t.live[c.name];
  switch (c.known) {
    case ContainerStatus::None: {
      if (stopping(t, c)) {
        mark_stopped(t, c, "task stopped before the image was pulled");
        return 0;
      }
      auto outcome = images_.request(c.image);
      if (outcome.state == ImageSource::State::Failed) {
        images_.retry(c.image);  // a later task may try again
        mark_stopped(t, c, "CannotPullContainerError: " + outcome.error);
        if (c.essential)
          request_task_stop(t, "Essential container " + c.name + " could not be pulled");
        return now;
      }
      if (outcome.state == ImageSource::State::Pending) {
        return now + 1000;  // the pull thread wakes us when it finishes
      }
      c.known = ContainerStatus::Pulled;
      t.dirty = true;
      emit(t, &c, "container");
      // Straight on in the same pass: PULLED reaches the disk with the CREATING intent (or
      // at the end of the pass if dependencies wait), one durable write instead of two.
      [[fallthrough]];
    }
    case ContainerStatus::Pulled: {
      if (stopping(t, c)) {
        mark_stopped(t, c,
                     c.restart_count > 0 ? c.reason : "task stopped before the container started");
        return 0;
      }
      auto verdict = evaluate_dependencies(t.definition, cd, t.record, now);
      if (verdict.state == DependencyState::Impossible) {
        mark_stopped(t, c, "DependencyError: " + verdict.reason);
        if (c.essential)
          request_task_stop(
              t, "Essential container " + c.name + " could not start: " + verdict.reason);
        return now;
      }
      if (verdict.state == DependencyState::TimedOut) {
        // ECS: the dependency that did not get there in time is stopped too.
        if (ContainerRecord* target = t.record.container(verdict.target);
            target != nullptr && target->desired != ContainerStatus::Stopped) {
          target->desired = ContainerStatus::Stopped;
          target->stop_cause =
              "its startTimeout passed before " + c.name + "'s dependency on it was met";
          target->reason = "stopped: " + target->stop_cause;
          t.dirty = true;
        }
        mark_stopped(t, c, "DependencyTimeout: " + verdict.reason);
        if (c.essential)
          request_task_stop(
              t, "Essential container " + c.name + " timed out waiting for its dependencies");
        return now;
      }
      if (verdict.state == DependencyState::Waiting) {
        return verdict.wake_at_ms;  // 0: a dependency's change wakes us
      }
      if (now < live.next_attempt_ms) return live.next_attempt_ms;
      // The previous container is removed first (its exit must be saved before that).
      if (has_leftovers(c)) return now + 1000;
      create_and_start(t, c, cd);
      return live.next_attempt_ms > now ? live.next_attempt_ms : now;
    }
    case ContainerStatus::Creating:
      // Only recovery leaves this state behind, and it resolves it; be safe anyway.
      cleanup_container(t, c);
      c.known = ContainerStatus::Pulled;
      return now;
    case ContainerStatus::Created: {
      if (stopping(t, c)) {
        cleanup_container(t, c);
        mark_stopped(t, c, "task stopped before the container started");
        return now;
      }
      start_created(t, c, cd);
      return now;
    }
    case ContainerStatus::Running: {
      if (check_exit(t, c, cd)) return now;
      if (stopping(t, c) || live.replacing) return progress_stop(t, c, cd);
      if (cd.health_check) return run_health(t, c, cd);
      return 0;
    }
    case ContainerStatus::Stopped:
      return 0;
  }
  return 0;
}

void TaskEngine::create_and_start(Task& t, ContainerRecord& c, const ContainerDefinition& cd) {
  containers_.ensure_task_dirs(t.record, t.definition);
  // Intent first: recovery must find a container it might have made.
  c.generation += 1;
  c.runtime_id = t.record.id.substr(0, 12) + "-" + c.name + "-" + std::to_string(c.generation);
  c.known = ContainerStatus::Creating;
  c.exit_code.reset();
  c.exit_signal = 0;
  c.oom_killed = false;
  c.kill_needed = false;
  c.stop_requested_ms = 0;
  c.stop_cause.clear();
  c.health = Health::Unknown;
  Live& live = t.live[c.name];
  save(t);
  if (t.dirty) {
    // The intent did not reach the disk (full?): don't start what we could not find again,
    // and try again later, not at once (a tight loop of failed saves burns the CPU).
    c.known = ContainerStatus::Pulled;
    c.generation -= 1;
    live.next_attempt_ms = clock_.now_ms() + retry_delay_ms(++live.failed_attempts);
    return;
  }
  try {
    containers_.ensure_task_cgroup(t.record, t.definition);
    // Dependencies were checked above, so nothing has to happen between create and start.
    containers_.create_and_start(t.record, t.definition, cd, c);
  } catch (const std::exception& e) {
    if (c.restart_count > 0 && cd.restart_policy.enabled && !stopping(t, c)) {
      // A restart that cannot be created (a full disk, say) is tried again later: one
      // failure must not end a task whose policy is to keep it running.
      c.known = ContainerStatus::Pulled;
      c.reason = std::string("restart failed, will retry: ") + e.what();
      live.next_attempt_ms = clock_.now_ms() + retry_delay_ms(++live.failed_attempts);
      t.dirty = true;
      emit(t, &c, "container");
      return;
    }
    mark_stopped(t, c, std::string("CannotCreateContainerError: ") + e.what());
    if (c.essential)
      request_task_stop(t, "Essential container " + c.name + " could not be created");
    return;
  }
  live.failed_attempts = 0;
  live.next_attempt_ms = 0;
  // Not saved here: recovery adopts a CREATING container whose shim and runtime state
  // exist, so the next save (RUNNING) is enough. CREATED is still reported, for event
  // readers that follow each step.
  c.known = ContainerStatus::Created;
  t.dirty = true;
  emit(t, &c, "container");
  mark_running(t, c, cd);
  containers_.write_metadata(t.record);
}

bool TaskEngine::start_created(Task& t, ContainerRecord& c, const ContainerDefinition& cd) {
  try {
    containers_.start(c);
  } catch (const std::exception& e) {
    // Adopted after a restart while the shim's `run --detach` was between its create and
    // start: that start won.
    std::optional<std::string> status;
    try {
      status = containers_.runtime_status(c);
    } catch (const std::exception&) {
    }
    if (status == "running") {
      mark_running(t, c, cd);
      return true;
    }
    cleanup_container(t, c);
    mark_stopped(t, c, std::string("CannotStartContainerError: ") + e.what());
    if (c.essential) request_task_stop(t, "Essential container " + c.name + " could not start");
    return false;
  }
  mark_running(t, c, cd);
  return true;
}

void TaskEngine::mark_running(Task& t, ContainerRecord& c, const ContainerDefinition& cd) {
  c.known = ContainerStatus::Running;
  c.started_at_ms = clock_.now_ms();
  t.dirty = true;
  emit(t, &c, "container");
  adopt_running(t, c, cd);
}

void TaskEngine::adopt_running(Task& t, ContainerRecord& c, const ContainerDefinition& cd) {
  Live& live = t.live[c.name];
  if (c.shim_pid > 0) {
    // No watch (the shim is gone or unreadable): check_exit() looks again and reads the exit.
    try {
      live.exit_watch = containers_.watch_exit(t.record, c);
    } catch (const std::exception&) {
      live.exit_watch.reset();
    }
  }
  if (cd.health_check) live.health.emplace(*cd.health_check, c.started_at_ms);
}

bool TaskEngine::check_exit(Task& t, ContainerRecord& c, const ContainerDefinition& cd) {
  Live& live = t.live[c.name];
  bool exited;
  if (live.exit_watch) {
    exited = live.exit_watch->exited();
  } else {
    // Not watched yet (adopted after a restart): a shim that cannot be watched has exited.
    try {
      live.exit_watch = containers_.watch_exit(t.record, c);
    } catch (const std::exception&) {
    }
    exited = !live.exit_watch;
  }
  if (!exited) return false;
  std::optional<ExitStatus> status;
  std::string vanished;
  try {
    status = containers_.exit_status(t.record, c);
  } catch (const std::exception& e) {
    vanished = std::string("the container's exit record is unreadable: ") + e.what();
  }
  if (!status && vanished.empty()) {
    // The shim died, but did its container? One that still runs has lost what collects its
    // exit code and its output: it is stopped (cleanup removes it) and recorded as such,
    // and the restart policy then applies (docs/agent.md, "A shim that dies").
    std::optional<std::string> runtime;
    try {
      runtime = containers_.runtime_status(c);
    } catch (const std::exception&) {
    }
    if (runtime == "running" || runtime == "paused" || runtime == "created") {
      vanished = "ShimDied: the container's shim (pid " + std::to_string(c.shim_pid) +
                 ") exited while the container was " + *runtime +
                 "; the agent stopped the container, whose exit code is unknown";
    } else {
      vanished = "the container vanished (its shim exited without recording an exit status)";
    }
  }
  on_exit(t, c, cd, status, vanished);
  return true;
}

void TaskEngine::on_exit(Task& t, ContainerRecord& c, const ContainerDefinition& cd,
                         const std::optional<ExitStatus>& status, const std::string& vanished) {
  Live& live = t.live[c.name];
  live.exit_watch.reset();
  if (live.probe) live.probe->kill();
  live.probe.reset();
  live.health.reset();
  const bool replacing = std::exchange(live.replacing, false);
  const std::int64_t now = clock_.now_ms();

  if (status) {
    c.exit_code = status->exit_code;
    c.exit_signal = status->signal;
  } else {
    c.exit_code.reset();
    c.exit_signal = 0;
  }
  c.oom_killed = containers_.oom_killed(t.record, c);
  c.finished_at_ms = now;
  std::string reason;
  if (!vanished.empty()) {
    reason = vanished;
  } else if (c.oom_killed) {
    reason = "OutOfMemoryError: Container killed due to memory usage";
  } else if (c.stop_requested_ms > 0) {
    // The container's own stop cause (its startTimeout) stays in the reason it ends with.
    reason =
        "stopped: " + (c.stop_cause.empty() ? std::string() : c.stop_cause + "; ") +
        (c.kill_needed ? "still running " + std::to_string(cd.stop_timeout) + "s after signal " +
                             std::to_string(c.stop_signal) + ", killed with SIGKILL"
                       : "exited after signal " + std::to_string(c.stop_signal) + " (" +
                             exit_description(c) + ")");
  } else {
    reason = exit_description(c);
  }
  emit(t, &c, "exit",
       {{"exitCode", c.exit_code ? nlohmann::json(*c.exit_code) : nlohmann::json()},
        {"reason", reason},
        {"oomKilled", c.oom_killed},
        {"killNeeded", c.kill_needed}});

  if (!stopping(t, c)) {
    RestartDecision decision{replacing, ""};
    if (!replacing) decision = decide_restart(cd.restart_policy, c, now);
    if (decision.restart) {
      c.restart_count += 1;
      c.known = ContainerStatus::Pulled;
      c.reason = reason + (replacing ? "; replaced after failing its health check" : "; restarted");
      c.health = Health::Unknown;
      t.dirty = true;
      emit(t, &c, "restart", {{"restartCount", c.restart_count}});
      save_then_cleanup(t, c);
      return;
    }
    if (cd.restart_policy.enabled) reason += "; not restarted: " + decision.why;
  }
  c.known = ContainerStatus::Stopped;
  c.desired = ContainerStatus::Stopped;
  c.reason = reason;
  c.health = Health::Unknown;
  t.dirty = true;
  emit(t, &c, "container");
  if (c.essential && t.record.desired == TaskStatus::Running) {
    request_task_stop(t, "Essential container in task exited");
  }
  save_then_cleanup(t, c);
}

void TaskEngine::save_then_cleanup(Task& t, ContainerRecord& c) {
  // The exit reaches the disk before the shim's exit record and the runtime state that
  // prove it are removed: a crash in between must not lose the exit code. If the save
  // fails (a full disk), they stay until one succeeds (cleanup_leftovers()).
  save(t);
  if (!t.dirty) cleanup_container(t, c);
}

void TaskEngine::cleanup_leftovers(Task& t) {
  if (t.dirty) return;  // the disk may not know yet that they ended
  for (auto& c : t.record.containers) {
    if (has_leftovers(c)) cleanup_container(t, c);
  }
}

void TaskEngine::cleanup_container(Task& t, ContainerRecord& c) {
  containers_.cleanup(t.record, c);
  c.pid = 0;
  c.shim_pid = 0;
  t.dirty = true;
}

std::int64_t TaskEngine::progress_stop(Task& t, ContainerRecord& c, const ContainerDefinition& cd) {
  Live& live = t.live[c.name];
  const std::int64_t now = clock_.now_ms();
  // Reverse order: wait until whatever depends on this container has stopped.
  if (!live.replacing && !dependents_stopped(t.definition, t.record, c.name)) return 0;
  const std::int64_t timeout_ms = std::int64_t{cd.stop_timeout} * 1000;
  if (c.stop_requested_ms == 0) {
    c.stop_signal = containers_.stop_signal(c.image);
    c.stop_requested_ms = now;
    t.dirty = true;
    save(t);  // intent: recovery keeps counting the timeout from here
    try {
      containers_.signal(c, c.stop_signal);
    } catch (const std::exception& e) {
      spdlog::warn("container {}: {}", c.runtime_id, e.what());
    }
    live.stop_signal_sent_ms = now;
    emit(t, &c, "stopping", {{"signal", c.stop_signal}, {"stopTimeout", cd.stop_timeout}});
    return now + timeout_ms;
  }
  if (live.stop_signal_sent_ms == 0 && c.kill_needed) {
    // The record says SIGKILL was due, but this process did not send it: the agent may have
    // died between saving kill_needed and sending it. Without this the container would be
    // waited for forever.
    try {
      containers_.signal(c, SIGKILL, true);
    } catch (const std::exception& e) {
      spdlog::warn("container {}: {}", c.runtime_id, e.what());
    }
    live.stop_signal_sent_ms = now;
    emit(t, &c, "kill", {{"signal", SIGKILL}, {"resumed", true}});
    return now + 1000;
  }
  if (live.stop_signal_sent_ms == 0) {
    // The record says the stop began, but not in this process: the agent may have died
    // between saving the intent and sending the signal. Send it (again: a second SIGTERM
    // is harmless), and give the container its full stopTimeout from now.
    try {
      containers_.signal(c, c.stop_signal);
    } catch (const std::exception& e) {
      spdlog::warn("container {}: {}", c.runtime_id, e.what());
    }
    live.stop_signal_sent_ms = now;
    emit(t, &c, "stopping",
         {{"signal", c.stop_signal}, {"stopTimeout", cd.stop_timeout}, {"resumed", true}});
    return now + timeout_ms;
  }
  const std::int64_t deadline =
      std::max(c.stop_requested_ms, live.stop_signal_sent_ms) + timeout_ms;
  if (!c.kill_needed && now >= deadline) {
    c.kill_needed = true;
    t.dirty = true;
    save(t);
    try {
      containers_.signal(c, SIGKILL, true);
    } catch (const std::exception& e) {
      spdlog::warn("container {}: {}", c.runtime_id, e.what());
    }
    emit(t, &c, "kill", {{"signal", SIGKILL}});
    return now + 1000;
  }
  return c.kill_needed ? now + 1000 : deadline;
}

std::int64_t TaskEngine::run_health(Task& t, ContainerRecord& c, const ContainerDefinition& cd) {
  Live& live = t.live[c.name];
  const std::int64_t now = clock_.now_ms();
  if (!live.health) live.health.emplace(*cd.health_check, c.started_at_ms);
  if (live.probe) {
    std::optional<CommandResult> result = live.probe->poll();
    if (!result && now >= live.probe_deadline_ms) result = live.probe->kill();
    if (!result) return now + 50;
    live.probe.reset();
    Health before = c.health;
    Health after = live.health->record(result->ok(), now);
    if (after != before) {
      c.health = after;
      t.dirty = true;
      emit(t, &c, "health", {{"output", result->output.substr(0, 512)}});
      if (after == Health::Unhealthy && c.essential && cd.restart_policy.enabled) {
        live.replacing = true;
        emit(t, &c, "replace", {{"reason", "unhealthy essential container with restartPolicy"}});
      }
      containers_.write_metadata(t.record);
    }
    return live.replacing ? now : live.health->next_due_ms();
  }
  if (now >= live.health->next_due_ms()) {
    try {
      live.probe = containers_.exec_probe(c, probe_command(*cd.health_check));
      live.probe_deadline_ms = now + std::int64_t{cd.health_check->timeout} * 1000;
    } catch (const std::exception& e) {
      spdlog::warn("health check of {}: {}", c.runtime_id, e.what());
      live.health->record(false, now);
    }
    return now + 50;
  }
  return live.health->next_due_ms();
}

void TaskEngine::mark_stopped(Task& t, ContainerRecord& c, const std::string& reason) {
  c.known = ContainerStatus::Stopped;
  c.desired = ContainerStatus::Stopped;
  c.reason = reason;
  c.finished_at_ms = clock_.now_ms();
  t.dirty = true;
  emit(t, &c, "container");
}

void TaskEngine::request_task_stop(Task& t, const std::string& reason) {
  if (t.record.desired == TaskStatus::Stopped) return;
  t.record.desired = TaskStatus::Stopped;
  if (t.record.stopped_reason.empty()) t.record.stopped_reason = reason;
  for (auto& c : t.record.containers) c.desired = ContainerStatus::Stopped;
  t.dirty = true;
  emit(t, nullptr, "task", {{"reason", reason}});
}

void TaskEngine::update_task_status(Task& t) {
  bool all_stopped = std::all_of(t.record.containers.begin(), t.record.containers.end(),
                                 [](const auto& c) { return c.known == ContainerStatus::Stopped; });
  if (all_stopped) {
    // Not while a container's leftovers wait for a save: they hold cgroups inside the
    // task's, which finish_task() removes.
    if (t.record.known != TaskStatus::Stopped && !any_leftovers(t.record)) finish_task(t);
    return;
  }
  if (t.record.known == TaskStatus::Pending) {
    bool essentials_running = true;
    for (const auto& c : t.record.containers) {
      if (c.essential && c.known != ContainerStatus::Running) essentials_running = false;
    }
    if (essentials_running) {
      t.record.known = TaskStatus::Running;
      t.record.started_at_ms = clock_.now_ms();
      t.dirty = true;
      emit(t, nullptr, "task");
      containers_.write_metadata(t.record);
    }
  }
}

void TaskEngine::finish_task(Task& t) {
  t.record.known = TaskStatus::Stopped;
  t.record.desired = TaskStatus::Stopped;
  if (t.record.stopped_reason.empty()) t.record.stopped_reason = "All containers exited";
  t.record.stopped_at_ms = clock_.now_ms();
  t.live.clear();
  containers_.remove_task_cgroup(t.record.id);
  t.dirty = true;
  emit(t, nullptr, "task", {{"reason", t.record.stopped_reason}});
  try {
    containers_.write_metadata(t.record);
  } catch (const std::exception&) {
  }
}

void TaskEngine::save(Task& t) {
  try {
    store_.save(t.record);
    t.dirty = false;
  } catch (const std::exception& e) {
    t.dirty = true;
    // Once per interval, with a count: a full disk must not also fill the journal.
    const std::int64_t now = clock_.now_ms();
    if (now - save_error_logged_ms_ < kSaveErrorLogIntervalMs) {
      ++save_errors_unlogged_;
      return;
    }
    const std::string also = save_errors_unlogged_ == 0
                                 ? std::string()
                                 : " (and " + std::to_string(save_errors_unlogged_) +
                                       " failed saves since the last report)";
    spdlog::error("task {}: cannot save state: {}{}", t.record.id, e.what(), also);
    events_.publish({{"type", "error"}, {"taskId", t.record.id}, {"message", e.what() + also}});
    save_error_logged_ms_ = now;
    save_errors_unlogged_ = 0;
  }
}

std::int64_t TaskEngine::retry_delay_ms(int failed_attempts) {
  // 1 s, doubling, at most a minute.
  const int doublings = std::min(failed_attempts - 1, 6);
  return std::min<std::int64_t>(60'000, std::int64_t{1000} << doublings);
}

void TaskEngine::emit(const Task& t, const ContainerRecord* c, const std::string& type,
                      nlohmann::json extra) {
  nlohmann::json e = {{"type", type},
                      {"taskId", t.record.id},
                      {"family", t.record.family},
                      {"taskKnownStatus", to_string(t.record.known)},
                      {"taskDesiredStatus", to_string(t.record.desired)}};
  if (c != nullptr) {
    e["container"] = c->name;
    e["knownStatus"] = to_string(c->known);
    e["health"] = to_string(c->health);
    if (!c->reason.empty()) e["reason"] = c->reason;
  }
  if (extra.is_object()) e.update(extra);
  spdlog::info("{} {}{}: {}", type, t.record.id.substr(0, 12), c ? "/" + c->name : "",
               c ? std::string(to_string(c->known)) : std::string(to_string(t.record.known)));
  events_.publish(std::move(e));
}

}  // namespace skiff::agent
