// ECS task definitions: the model the agent runs, with ECS field names (as comments) and
// ECS defaults. See docs/task-definition.md for the supported subset.
//
// parse_task_definition() reads JSON and validates it; the first problem found throws
// skiff::Error whose message starts with the JSON path, e.g.
// `containerDefinitions[1].healthCheck.retries: must be 1..10, got 0`. Fields Skiff does not
// implement do not fail: they are listed, with their paths, in ONE entry of `warnings`
// (a privileged container adds one more entry of its own).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace skiff::taskdef {

struct EnvVar {
  std::string name;
  std::string value;
  bool operator==(const EnvVar&) const = default;
};

enum class NetworkMode { Host, None };
// pidMode / ipcMode: unset means a namespace of the container's own.
enum class NamespaceMode { Private, Host, Task, None };

struct Volume {
  std::string name;
  // host.sourcePath; empty = task-scoped scratch directory the agent creates and removes
  // (no `host`, an empty `host`, or dockerVolumeConfiguration with scope "task").
  std::string host_source_path;
  bool scratch() const { return host_source_path.empty(); }
};

struct PortMapping {
  std::uint16_t container_port = 0;
  std::uint16_t host_port = 0;  // host mode: always equal to container_port
  std::string protocol = "tcp";
};

struct MountPoint {
  std::string source_volume;
  std::string container_path;
  bool read_only = false;
};

struct VolumeFrom {
  std::string source_container;
  bool read_only = false;
};

struct HealthCheck {
  std::vector<std::string> command;  // ["CMD", exe, args...] or ["CMD-SHELL", "script"]
  int interval = 30;                 // seconds, 5..300
  int timeout = 5;                   // seconds, 2..120
  int retries = 3;                   // 1..10
  int start_period = 0;              // seconds, 0..300
};

enum class DependencyCondition { Start, Complete, Success, Healthy };

struct ContainerDependency {
  std::string container_name;
  DependencyCondition condition = DependencyCondition::Start;
};

struct Tmpfs {
  std::string container_path;
  std::uint64_t size_mib = 0;
  std::vector<std::string> mount_options;
};

// linuxParameters.devices[]: a host device node made in the container. The host node is
// looked at (stat) when the bundle is made, not here: the definition may be checked on
// another machine.
struct DeviceMapping {
  std::string host_path;
  std::string container_path;  // defaults to host_path, as in ECS
  std::string access = "rwm";  // permissions read/write/mknod -> r/w/m; absent = all three
};

struct LinuxParameters {
  std::vector<std::string> cap_add;   // capabilities.add, as written ("NET_ADMIN", "ALL")
  std::vector<std::string> cap_drop;  // capabilities.drop
  bool init_process_enabled = false;
  std::optional<std::uint64_t> shared_memory_size_mib;
  std::vector<Tmpfs> tmpfs;
  std::vector<DeviceMapping> devices;
};

inline constexpr std::int64_t kUlimitUnlimited = -1;

struct Ulimit {
  std::string name;   // ECS name: "nofile"
  int resource = 0;   // RLIMIT_NOFILE
  std::int64_t soft;  // -1 = unlimited
  std::int64_t hard;
};

struct RestartPolicy {
  bool enabled = false;
  std::vector<int> ignored_exit_codes;  // at most 50
  int restart_attempt_period = 300;     // seconds, 60..1800
};

enum class LogDriver { JsonFile, Local, Journald };

struct LogConfiguration {
  LogDriver driver = LogDriver::JsonFile;
  std::optional<std::int64_t> max_size;  // options["max-size"], bytes
  std::optional<int> max_file;           // options["max-file"]
};

struct ContainerDefinition {
  std::string name;
  std::string image;
  std::optional<std::vector<std::string>> command;      // unset: the image's Cmd
  std::optional<std::vector<std::string>> entry_point;  // unset: the image's Entrypoint
  std::vector<EnvVar> environment;
  std::vector<std::string> environment_files;           // absolute local paths (parse_env_file)
  std::optional<std::uint32_t> cpu;                     // units, 1024 = 1 vCPU (relative weight)
  std::optional<std::uint64_t> memory_mib;              // hard limit
  std::optional<std::uint64_t> memory_reservation_mib;  // soft limit
  bool essential = true;
  std::vector<PortMapping> port_mappings;
  std::vector<MountPoint> mount_points;
  std::vector<VolumeFrom> volumes_from;
  std::optional<HealthCheck> health_check;
  std::optional<int> start_timeout;  // seconds, 2..120; unset: the agent's default
  int stop_timeout = 30;             // seconds, 0..120; default from ParseOptions
  std::vector<ContainerDependency> depends_on;
  std::string user;
  std::string working_directory;
  bool readonly_root_filesystem = false;
  // Docker's --privileged: every capability, no seccomp, every host device, /sys writable.
  bool privileged = false;
  // Its own network namespace with only loopback, whatever networkMode says.
  bool disable_networking = false;
  // dockerSecurityOptions ["no-new-privileges"]; the only option Skiff accepts.
  bool no_new_privileges = false;
  LinuxParameters linux_parameters;
  std::vector<Ulimit> ulimits;
  std::map<std::string, std::string> docker_labels;
  RestartPolicy restart_policy;
  LogConfiguration log_configuration;
};

// placementConstraints[]: ECS allows only "memberOf" in a task definition. The expression
// is the cluster query language's; the control plane's scheduler reads it.
struct PlacementConstraint {
  std::string type = "memberOf";
  std::string expression;
};

// runtimePlatform: what the image needs from the host. Empty means any.
struct RuntimePlatform {
  std::string cpu_architecture;         // "X86_64" or "ARM64", as ECS spells them
  std::string operating_system_family;  // "LINUX" (the only family Skiff runs)
};

struct TaskDefinition {
  std::string family;
  std::optional<int> revision;              // read-only, kept for messages
  std::optional<std::uint32_t> cpu;         // task-level units (a hard cap)
  std::optional<std::uint64_t> memory_mib;  // task-level hard limit
  NetworkMode network_mode = NetworkMode::Host;
  // networkMode was written. Absent, ECS means "bridge" on EC2 and EXTERNAL instances;
  // Skiff runs such a task on the host network, and says so in a warning.
  bool network_mode_set = false;
  NamespaceMode pid_mode = NamespaceMode::Private;
  NamespaceMode ipc_mode = NamespaceMode::Private;
  std::vector<Volume> volumes;
  std::vector<ContainerDefinition> containers;
  std::map<std::string, std::string> tags;  // top-level or describe output tags
  std::vector<PlacementConstraint> placement_constraints;
  RuntimePlatform runtime_platform;
  // "unsupported fields ignored: a.b, c[0].d" (at most once), and one entry per privileged
  // container: "containerDefinitions[0].privileged: ...".
  std::vector<std::string> warnings;

  const ContainerDefinition* find_container(std::string_view name) const;
  const Volume* find_volume(std::string_view name) const;
};

struct ParseOptions {
  // The agent-wide default stop timeout (ECS_CONTAINER_STOP_TIMEOUT), seconds.
  int default_stop_timeout = 30;
};

// Accepts a bare task definition, `aws ecs describe-task-definition` output
// ({"taskDefinition": {...}, "tags": [...]}) and register-task-definition input.
// `source` names the document in errors ("demo-web.json"); malformed JSON reports
// "<source>:<line>:<column>: ...".
TaskDefinition parse_task_definition(std::string_view json, std::string_view source,
                                     const ParseOptions& options = {});

// Containers in start order: every container after those it dependsOn, otherwise in
// definition order. Throws skiff::Error naming a cycle ("dependsOn cycle: a -> b -> a").
std::vector<std::string> start_order(const TaskDefinition& task);

// ECS environmentFiles format: NAME=VALUE per line, `#` comments and blank lines skipped,
// no quote processing (the value is everything after the first '='). Errors read
// "<source>:<line>: ...".
std::vector<EnvVar> parse_env_file(std::string_view text, std::string_view source);

// ECS spellings, for logs and state files: "HEALTHY", "json-file", "host", "task".
std::string_view to_string(DependencyCondition condition);
std::string_view to_string(LogDriver driver);
std::string_view to_string(NetworkMode mode);
std::string_view to_string(NamespaceMode mode);  // Private -> "" (ECS: field absent)

// The OCI architecture ("amd64", "arm64") of runtimePlatform.cpuArchitecture; empty when
// the definition names none.
std::string_view oci_architecture(const RuntimePlatform& platform);

// Task-level cpu/memory strings as ECS takes them: "256", "1 vCPU", "0.5 vCPU" -> units;
// "512", "1 GB", "2GB", "0.5GB" -> MiB. `field` prefixes errors.
std::uint32_t parse_task_cpu(std::string_view text, const std::string& field);
std::uint64_t parse_task_memory(std::string_view text, const std::string& field);

}  // namespace skiff::taskdef
