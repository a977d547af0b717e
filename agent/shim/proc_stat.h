// /proc/PID/stat's starttime (clock ticks since boot): with the pid it names one process
// for good, so a shim found after an agent restart is not confused with a reused pid.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace skiff::agent {

struct ProcStat {
  char state;                // R, S, D, Z (exited, not yet reaped), ...
  std::uint64_t start_time;  // field 22
};

// nullopt if the process does not exist (or /proc/PID/stat cannot be parsed).
std::optional<ProcStat> read_proc_stat(pid_t pid);
std::optional<std::uint64_t> process_start_time(pid_t pid);

}  // namespace skiff::agent
