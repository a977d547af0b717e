// What the local API (and later the control-plane connection) asks of the agent.
//
// The HTTP server in agent/api only translates requests into these calls; the task engine
// implements them. Views are JSON documents whose shape is documented in docs/agent-api.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace skiff::agent {

// Where a container's log lives and how to read it (written by skiff-shim).
struct LogSource {
  std::string driver;                 // "file" (CRI-format lines, rotated) or "journald" or "none"
  std::filesystem::path path;         // current file for "file"; older ones are path.1, path.2, ...
  std::string journald_container_id;  // CONTAINER_ID field for "journald"
};

// How to run a process inside a container (skiffctl exec, health checks): the runtime binary,
// its state root and the container id, as given to `skiff-runtime --root ROOT exec ID ...`.
struct ExecTarget {
  std::filesystem::path runtime;
  std::filesystem::path runtime_root;
  std::string container_id;
};

struct Event {
  std::uint64_t seq = 0;
  nlohmann::json body;  // {"time","type","taskId","container",...}
};

class AgentService {
 public:
  virtual ~AgentService() = default;

  // {"agentVersion","hostname","arch","cgroupMode","mode":"standalone"|"connected",...}
  virtual nlohmann::json metadata() = 0;
  // [task view...]; a task view: {"taskId","family","desiredStatus","knownStatus",
  // "stoppedReason","createdAt","startedAt","stoppedAt","containers":[{"name","image",
  // "knownStatus","desiredStatus","exitCode","reason","health","runtimeId","pid"}]}
  virtual nlohmann::json list_tasks() = 0;
  // Throws NotFound for an unknown id.
  virtual nlohmann::json describe_task(const std::string& task_id) = 0;
  // Accepts an ECS task definition (any of the formats the parser takes); returns the task
  // view. Throws skiff::Error naming the JSON path for invalid input.
  virtual nlohmann::json run_task(const std::string& task_definition_json,
                                  const std::string& source) = 0;
  virtual void stop_task(const std::string& task_id, const std::string& reason) = 0;
  // Per container cgroup stats: {"containers":{"name":{"memory":{...},"cpu":{...},"pids":N}}}
  virtual nlohmann::json task_stats(const std::string& task_id) = 0;
  virtual LogSource log_source(const std::string& task_id, const std::string& container) = 0;
  virtual ExecTarget exec_target(const std::string& task_id, const std::string& container) = 0;
  // Events after `after_seq`, waiting up to `wait` for the first one. Never blocks longer.
  virtual std::vector<Event> events_since(std::uint64_t after_seq,
                                          std::chrono::milliseconds wait) = 0;
  // Stops every task (explicit drain; SIGTERM to the agent does not stop tasks).
  virtual void drain(const std::string& reason) = 0;
};

// Thrown by AgentService for an unknown task or container: the API answers 404.
struct NotFound : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace skiff::agent
