// One cgroup, whatever the backend: the interface the runtime and the agent program to.
// A Cgroup object is a handle; dropping it leaves the kernel cgroup alone (containers
// outlive the agent). Use CgroupGuard for "remove unless committed" on setup paths.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cgroups/layout.h"
#include "cgroups/resources.h"
#include "common/unique_fd.h"

namespace skiff::cgroups {

inline constexpr std::uint64_t kNoLimit = std::numeric_limits<std::uint64_t>::max();

struct Stats {
  std::uint64_t cpu_usage_usec = 0;
  std::uint64_t cpu_user_usec = 0;
  std::uint64_t cpu_system_usec = 0;
  std::uint64_t cpu_nr_periods = 0;
  std::uint64_t cpu_nr_throttled = 0;
  std::uint64_t cpu_throttled_usec = 0;
  std::uint64_t memory_current = 0;
  std::optional<std::uint64_t> memory_peak;  // memory.peak needs Linux 5.19 on v2
  std::uint64_t memory_limit = kNoLimit;
  std::uint64_t oom_events = 0;       // times the limit was hit and reclaim failed
  std::uint64_t oom_kill_events = 0;  // processes the OOM killer chose
  std::uint64_t pids_current = 0;
  std::uint64_t pids_limit = kNoLimit;
};

enum class FreezerState { Thawed, Freezing, Frozen };

// Observes OOM kills without polling in a tight loop: fd() becomes readable when the
// kernel reports an OOM event (inotify on memory.events for v2, an eventfd registered
// in cgroup.event_control for v1).
class OomMonitor {
 public:
  virtual ~OomMonitor() = default;
  virtual int fd() const = 0;
  // Drains fd() and returns the cgroup's oom_kill count so far.
  virtual std::uint64_t kills() = 0;
  // Waits until kills() exceeds `seen` or `timeout` passes; returns the latest count.
  std::uint64_t wait_for_kill(std::uint64_t seen, std::chrono::milliseconds timeout);
};

class Cgroup {
 public:
  virtual ~Cgroup() = default;

  virtual Backend backend() const = 0;
  // Every directory that makes up this cgroup: one on v2, one per hierarchy on v1.
  virtual std::vector<std::filesystem::path> paths() const = 0;

  virtual void add_process(pid_t pid) = 0;
  // An O_DIRECTORY fd for clone3(CLONE_INTO_CGROUP); an empty fd when the backend can't.
  virtual UniqueFd open_for_clone() const = 0;
  virtual void apply(const Resources& resources) = 0;
  // Replaces the device allow-list with `rules`, applied in order (later rules win): v1's
  // devices.allow/deny, or on v2 a BPF device program (device_program.h). Throws where the
  // policy cannot be enforced, so no container starts without one.
  virtual void apply_device_rules(const std::vector<DeviceRule>& rules) = 0;
  virtual Stats stats() const = 0;

  // Both return once the kernel reports the new state (or throw after a timeout).
  virtual void freeze() = 0;
  virtual void thaw() = 0;
  virtual FreezerState freezer_state() const = 0;

  // Processes in this cgroup and its descendants.
  virtual std::vector<pid_t> pids() const = 0;
  // SIGKILLs every process in the subtree and returns once it is empty.
  virtual void kill_all() = 0;
  // Removes the cgroup and any sub-cgroups; a cgroup that is already gone is not an error.
  virtual void remove() = 0;
  virtual std::unique_ptr<OomMonitor> watch_oom() const = 0;
};

// Removes a cgroup when a setup path fails before commit().
class CgroupGuard {
 public:
  explicit CgroupGuard(Cgroup& cgroup) : cgroup_(&cgroup) {}
  CgroupGuard(const CgroupGuard&) = delete;
  CgroupGuard& operator=(const CgroupGuard&) = delete;
  ~CgroupGuard();
  void commit() noexcept { cgroup_ = nullptr; }

 private:
  Cgroup* cgroup_;
};

}  // namespace skiff::cgroups
