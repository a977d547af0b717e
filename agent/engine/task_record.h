// The agent's memory of a task: what should be (desired) and what is (known), for the task
// and each container. It is persisted as task.json after every change, so an agent that
// was SIGKILLed at any point finds its containers again (see recovery.h).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace skiff::agent {

// Known status moves forward only: NONE -> PULLED -> CREATED -> RUNNING -> STOPPED.
// CREATING marks a shim launch in flight, so recovery knows to check for a half-made one.
enum class ContainerStatus { None, Pulled, Creating, Created, Running, Stopped };
enum class TaskStatus { Pending, Running, Stopped };
enum class Health { Unknown, Healthy, Unhealthy };

std::string_view to_string(ContainerStatus s);
std::string_view to_string(TaskStatus s);
std::string_view to_string(Health h);
ContainerStatus container_status_from(std::string_view s);
TaskStatus task_status_from(std::string_view s);
Health health_from(std::string_view s);

struct ContainerRecord {
  std::string name;
  std::string image;
  bool essential = true;
  ContainerStatus known = ContainerStatus::None;
  ContainerStatus desired = ContainerStatus::Running;  // Running or Stopped
  unsigned generation = 0;                             // bumped for every (re)created container
  std::string runtime_id;  // the skiff-runtime container id of this generation
  pid_t shim_pid = 0;
  pid_t pid = 0;
  std::optional<int> exit_code;
  int exit_signal = 0;
  bool oom_killed = false;
  bool kill_needed = false;  // the stop timeout ran out and SIGKILL followed
  std::string reason;        // why it stopped (or failed to start)
  Health health = Health::Unknown;
  unsigned restart_count = 0;
  std::int64_t started_at_ms = 0;
  std::int64_t finished_at_ms = 0;
  std::int64_t stop_requested_ms = 0;  // 0 = no stop in progress
  int stop_signal = 0;
  // Why the agent stopped this container on its own account (not its task's stop): kept
  // in the reason it ends with.
  std::string stop_cause;

  nlohmann::json to_json() const;
  static ContainerRecord from_json(const nlohmann::json& j);
};

struct TaskRecord {
  std::string id;
  std::string family;
  std::string source;           // where the definition came from (file, API, control plane)
  std::string definition_hash;  // sha256 of the definition as given
  nlohmann::json definition;    // as given: re-parsed on load
  TaskStatus desired = TaskStatus::Running;
  TaskStatus known = TaskStatus::Pending;
  std::string stopped_reason;
  std::int64_t created_at_ms = 0;
  std::int64_t started_at_ms = 0;
  std::int64_t stopped_at_ms = 0;
  std::vector<ContainerRecord> containers;

  ContainerRecord* container(std::string_view name);
  const ContainerRecord* container(std::string_view name) const;

  nlohmann::json to_json() const;
  static TaskRecord from_json(const nlohmann::json& j);
};

// Saved as ended (STOPPED, or PULLED for a restart) while its shim and runtime state still
// exist: the cleanup after the exit was saved has not happened yet (engine and recovery).
bool has_leftovers(const ContainerRecord& c);

std::int64_t now_ms();
std::string format_time(std::int64_t ms);  // RFC 3339 UTC with milliseconds; "" for 0

}  // namespace skiff::agent
