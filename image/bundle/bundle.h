// Image config + task overrides -> an OCI runtime-spec 1.1 config.json.
//
// Everything here is pure except the user lookup, which reads the rootfs's /etc/passwd and
// /etc/group. Errors are skiff::Error naming the field: `config.Cmd: expected an array of
// strings`, `overrides.capAdd[0]: unknown capability "FOO"`.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace skiff::image {

// One extra mount. A bind mount gets "rbind" and "ro"/"rw" from `readonly`; `options` are
// appended as written.
struct BundleMount {
  std::string destination;  // absolute, inside the container
  std::string source;
  std::string type = "bind";
  std::vector<std::string> options;
  bool readonly = false;
};

// One process rlimit; RLIM_INFINITY (UINT64_MAX) is "unlimited".
struct BundleRlimit {
  std::string type;  // "RLIMIT_NOFILE"
  std::uint64_t soft = 0;
  std::uint64_t hard = 0;
};

// A device node made in the container (linux.devices) and allowed by the device cgroup
// (linux.resources.devices) with `access`.
struct BundleDevice {
  std::string path;  // inside the container
  char type = 'c';   // c or b
  std::int64_t major = 0;
  std::int64_t minor = 0;
  std::uint32_t file_mode = 0666;  // permission bits
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::string access = "rwm";  // a subset of "rwm"
};

// What a task definition (ECS-like) may change. Unset optionals keep the image's value.
struct BundleOverrides {
  // Docker's rules: a command replaces Cmd; an entrypoint replaces Entrypoint and drops the
  // image's Cmd unless a command is given too. An empty entrypoint clears it.
  std::optional<std::vector<std::string>> entrypoint;
  std::optional<std::vector<std::string>> command;
  std::vector<std::string> env;  // "NAME=value"; replaces the image's NAME
  // Plain strings, empty meaning "the image's" (an empty override is never meaningful:
  // root is "0"); std::optional<std::string> also trips GCC 12's -Wmaybe-uninitialized.
  std::string working_dir;
  std::string user;  // name, name:group, uid, uid:gid (mixed forms too)
  std::string hostname = "localhost";
  bool readonly_rootfs = false;
  // Capability names with or without "CAP_"; "ALL" on either list (Docker's semantics).
  std::vector<std::string> cap_add;
  std::vector<std::string> cap_drop;
  // Docker's --privileged: every capability (less cap_drop), no seccomp filter, no masked
  // or read-only paths, /sys and /sys/fs/cgroup writable, every device allowed. The host's
  // nodes themselves come in `devices`.
  bool privileged = false;
  // Unset: Skiff's default, which is on (Docker's is off).
  std::optional<bool> no_new_privileges;
  std::vector<BundleDevice> devices;
  std::vector<BundleMount> mounts;
  std::optional<std::int64_t> memory_limit;        // bytes
  std::optional<std::int64_t> memory_reservation;  // bytes
  std::optional<std::uint64_t> cpu_shares;
  std::optional<std::int64_t> cpu_quota;  // microseconds per period
  std::optional<std::uint64_t> cpu_period;
  std::optional<std::int64_t> pids_limit;
  std::string cgroups_path;
  // Empty: a new network namespace (no interfaces but lo, i.e. "none"); else join it.
  std::string network_ns_path;
  // Namespace types ("network", "pid", "ipc") the container shares with the caller instead
  // of getting its own (ECS networkMode/pidMode/ipcMode "host").
  std::vector<std::string> host_namespaces;
  // Namespaces to join, type -> path ("pid"/"ipc" shared by a task's containers).
  std::map<std::string, std::string> join_namespaces;
  // Replace the default of the same type (RLIMIT_NOFILE 1024) or add to it.
  std::vector<BundleRlimit> rlimits;
  // A host binary (a static init such as catatonit) bound read-only at /dev/init and run in
  // front of the command as `/dev/init -- ARGS` (docker --init, ECS initProcessEnabled).
  std::string init_path;
  // Written to the config's annotations (task labels); the image's stop signal still wins.
  std::map<std::string, std::string> annotations;
};

// `image_config` is the image config's `config` object (Entrypoint, Cmd, Env, ...); null
// or missing members are allowed. `rootfs` is where the image was unpacked; the returned
// document's root.path is "rootfs", so the bundle is rootfs's parent.
nlohmann::json make_runtime_config(const nlohmann::json& image_config, const BundleOverrides& o,
                                   const std::filesystem::path& rootfs);

// Docker's default set, as "CAP_*" names.
const std::vector<std::string>& default_capabilities();
// Default set ± overrides, Docker's order: add ALL wins, then drop ALL, then drop + add.
std::vector<std::string> effective_capabilities(const BundleOverrides& o);

// The default seccomp profile (linux.seccomp) for a process holding `capabilities`:
// deny with EPERM, allow the common syscalls, a few more when a capability needs them.
nlohmann::json default_seccomp_profile(const std::vector<std::string>& capabilities);

}  // namespace skiff::image
