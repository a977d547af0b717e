// The agent's side of skiff-shim: launch one per container, and find it again later (after
// an agent restart) from the files in its state dir (shim_files.h).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace skiff::agent {

struct ShimConfig {
  std::string id;  // letters, digits, '_', '.', '-'
  std::filesystem::path bundle, state_dir, runtime, runtime_root;
  std::string log_driver = "file";  // file | journald | none
  std::filesystem::path log_path;
  std::uint64_t log_max_size = 10 << 20;
  unsigned log_max_files = 3;
  std::filesystem::path shim_binary;  // empty: skiff-shim next to /proc/self/exe
  std::string name;                   // journald CONTAINER_NAME (default: id)
  unsigned drain_timeout_ms = 2000;   // pipe drain after the init exits
  int ready_timeout_seconds = 120;    // how long `create` may take
  bool start = false;                 // create and start (`run --detach`)
};

struct ShimStarted {
  pid_t shim_pid;
  pid_t container_pid;  // created and blocked until `skiff-runtime start ID`, or running
                        // (config.start)
};

// Spawns skiff-shim (posix_spawn: safe in a multi-threaded agent; only the ready pipe is
// inherited) and waits for its ready line. On create failure throws skiff::Error carrying
// the runtime's message, after the shim has exited and removed its state.
ShimStarted launch_shim(const ShimConfig& config);

struct ExitStatus {
  int exit_code;          // 128 + signal when killed
  int signal;             // 0 unless killed by a signal
  std::string exited_at;  // RFC 3339, nanoseconds, UTC
  pid_t pid = 0;
};

// nullopt while the container runs (no exit.json yet). Throws skiff::Error naming the file
// if it exists but is not a valid exit record.
std::optional<ExitStatus> read_exit_status(const std::filesystem::path& state_dir);

struct ShimInfo {
  pid_t shim_pid;
  pid_t container_pid;
  std::uint64_t shim_start_time = 0;       // /proc/PID/stat starttime
  std::uint64_t container_start_time = 0;  // ditto
  std::string id;
  std::string started_at;
};

// nullopt if there is no state.json (never launched, or create failed). Throws
// skiff::Error naming the file if it is malformed.
std::optional<ShimInfo> read_shim_info(const std::filesystem::path& state_dir);

// The shim's pid is alive (not a zombie) AND is the same process (same starttime), not a reused
// pid.
bool shim_alive(const ShimInfo& info);

}  // namespace skiff::agent
