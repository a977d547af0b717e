// What the engine does to containers and their task, as one interface: the engine's state
// machine decides, a ContainerOps acts and reports. ContainerRunner (container_runner.h) is
// the real one (cgroups, bundles, skiff-shim, skiff-runtime); tests/agent/engine has a
// recording fake, so the state machine is tested without root.
//
// Calls come from the engine's loop thread (task_stats() from an API thread, under the
// engine's lock). Methods throw skiff::Error with context when the action failed.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/engine/command.h"
#include "agent/engine/task_model.h"
#include "agent/engine/task_record.h"
#include "agent/shim/shim_client.h"
#include "cgroups/cgroup.h"

namespace skiff::agent {

// Watches one running container's shim until it exits (the container's end).
class ExitWatch {
 public:
  virtual ~ExitWatch() = default;
  // The shim has exited: its exit record (if any) can be read now. Never blocks.
  virtual bool exited() = 0;
  // Becomes readable when the shim exits, for the loop's poll(); -1 if there is none (the
  // loop then looks again at least once a second).
  virtual int fd() const { return -1; }
};

// A health-check command running in a container.
class Probe {
 public:
  virtual ~Probe() = default;  // ends a probe still running
  // nullopt while it runs. Never blocks.
  virtual std::optional<CommandResult> poll() = 0;
  // Ends it (its timeout passed) and returns what it had printed.
  virtual CommandResult kill() = 0;
};

class ContainerOps {
 public:
  virtual ~ContainerOps() = default;

  // --- the task ---
  // The task's cgroup with the task-level limits; an existing one is kept.
  virtual void ensure_task_cgroup(const TaskRecord& task, const TaskDefinition& def) = 0;
  virtual void remove_task_cgroup(const std::string& task_id) = 0;
  // Scratch volumes and the metadata dir, unless an earlier container made them.
  virtual void ensure_task_dirs(const TaskRecord& task, const TaskDefinition& def) = 0;
  // The task metadata file the containers see (a no-op before ensure_task_dirs()).
  virtual void write_metadata(const TaskRecord& task) = 0;

  // --- one container ---
  // Creates and starts it; on return it runs and c.shim_pid / c.pid are set. On failure
  // whatever was made is removed again.
  virtual void create_and_start(const TaskRecord& task, const TaskDefinition& def,
                                const ContainerDefinition& cd, ContainerRecord& c) = 0;
  // Starts a container that was created and not started (adopted after a restart).
  virtual void start(const ContainerRecord& c) = 0;
  // `all`: every process in the container, not only its init.
  virtual void signal(const ContainerRecord& c, int sig, bool all = false) = 0;
  // Starts `command` inside the running container (a health check).
  virtual std::unique_ptr<Probe> exec_probe(const ContainerRecord& c,
                                            const std::vector<std::string>& command) = 0;
  // Removes the runtime container, its bundle and its shim state. Safe on anything half
  // made, and repeatable. Its exit record goes too: save the exit first.
  virtual void cleanup(const TaskRecord& task, const ContainerRecord& c) = 0;
  // Kills whatever is still in flight for `runtime_id` (a shim or `create` from before an
  // agent crash) and waits until it is gone.
  virtual void kill_in_flight(const std::string& runtime_id) = 0;

  // --- what is true of a container ---
  // Its shim, if it still runs (the same process that was launched, not a reused pid).
  // Throws if the shim's state is unreadable.
  virtual std::optional<ShimInfo> live_shim(const TaskRecord& task, const ContainerRecord& c) = 0;
  // A watch on its shim, or nullptr if the shim no longer runs. Throws like live_shim().
  virtual std::unique_ptr<ExitWatch> watch_exit(const TaskRecord& task,
                                                const ContainerRecord& c) = 0;
  // nullopt while it runs, or if it left no exit record. Throws if the record is unreadable.
  virtual std::optional<ExitStatus> exit_status(const TaskRecord& task,
                                                const ContainerRecord& c) = 0;
  // The runtime's view: "created", "running", "paused" or "stopped"; nullopt if it has no
  // such container.
  virtual std::optional<std::string> runtime_status(const ContainerRecord& c) = 0;
  // Its cgroup saw an OOM kill (read before cleanup() removes the cgroup).
  virtual bool oom_killed(const TaskRecord& task, const ContainerRecord& c) = 0;
  virtual std::optional<cgroups::Stats> stats(const TaskRecord& task, const ContainerRecord& c) = 0;
  // The image's stop signal (SIGTERM if it names none, or one unknown here).
  virtual int stop_signal(const std::string& image) = 0;

  // --- the runtime's containers, whoever owns them (recovery's orphan sweep) ---
  virtual std::vector<std::string> runtime_containers() = 0;
  virtual void remove_runtime_container(const std::string& runtime_id) = 0;
};

}  // namespace skiff::agent
