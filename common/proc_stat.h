// /proc/PID/stat: the state and the starttime (clock ticks since boot), which with the pid
// names one process for good (a shim or container init is not confused with a reused pid).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace skiff {

struct ProcStat {
  char state;                // R, S, D, Z (exited, not yet reaped), ...
  std::uint64_t start_time;  // field 22
};

// nullopt if the process does not exist (or /proc/PID/stat cannot be parsed).
std::optional<ProcStat> read_proc_stat(pid_t pid);
std::optional<std::uint64_t> process_start_time(pid_t pid);

}  // namespace skiff
