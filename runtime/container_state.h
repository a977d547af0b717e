// What skiff-runtime remembers about a container between commands, and how its live
// status is derived from the kernel rather than trusted from disk.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace skiff::runtime {

enum class Status { Creating, Created, Running, Paused, Stopped };

const char* to_string(Status status);

struct ContainerState {
  std::string id;
  std::string bundle;
  std::string rootfs;
  pid_t pid = 0;
  // /proc/PID/stat starttime at create: a recycled pid has another one.
  std::uint64_t pid_start_time = 0;
  std::string created;                    // RFC 3339, UTC
  std::vector<std::string> cgroup_paths;  // every directory of the container's cgroup
  nlohmann::json annotations = nlohmann::json::object();
  nlohmann::json hooks = nlohmann::json::object();  // config.json "hooks", for later stages
  std::uint32_t owner = 0;
  bool created_via_run = false;
  // No mount namespace in the config: the rootfs was bind-mounted in the runtime's own
  // mount namespace (with the config's mounts beneath it); delete unmounts it.
  bool rootfs_mounted_on_host = false;

  nlohmann::json to_json() const;
  static ContainerState from_json(const nlohmann::json& j);
};

// Writes atomically: a temp file in the same directory, fsync, rename.
void save_state(const std::filesystem::path& file, const ContainerState& state);
// Throws SysError(ENOENT) when the file does not exist.
ContainerState load_state(const std::filesystem::path& file);

// starttime (field 22) of /proc/PID/stat, or nullopt when the process is gone or a zombie.
std::optional<std::uint64_t> process_start_time(pid_t pid);
// True when `pid` still is the process that was recorded.
bool is_same_live_process(pid_t pid, std::uint64_t start_time);

// The OCI state document (`skiff-runtime state`), plus runc's rootfs/created/owner fields.
nlohmann::json oci_state(const ContainerState& state, Status status);

std::string now_rfc3339();

}  // namespace skiff::runtime
