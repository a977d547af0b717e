// The OCI runtime-spec 1.1 config.json as typed C++ (the subset Skiff implements; see
// docs/runtime.md). parse_spec() validates while it converts, and every error names the
// JSON field: `config.json: process.capabilities.bounding[2]: unknown capability "CAP_FOO"`.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cgroups/resources.h"
#include "common/error.h"

namespace skiff::oci {

// A config that cannot be run as written. what() starts with the field's JSON path.
class SpecError : public Error {
 public:
  using Error::Error;
};

enum class NamespaceType { Pid, Network, Mount, Ipc, Uts, User, Cgroup, Time };

std::string_view to_string(NamespaceType type);  // the spec's name: "pid", "network", ...
int clone_flag(NamespaceType type);              // CLONE_NEWPID, ...
// The /proc/PID/ns/ entry for a type ("pid", "net", "mnt", ...).
std::string_view proc_ns_name(NamespaceType type);
// The inverse of to_string: "network" -> Network; nullopt for a name the spec lacks.
std::optional<NamespaceType> namespace_type_from_string(std::string_view name);

struct Namespace {
  NamespaceType type;
  std::string path;  // empty: create a new one; otherwise join this one (setns)
};

struct IdMapping {
  std::uint32_t container_id = 0;
  std::uint32_t host_id = 0;
  std::uint32_t size = 0;
};

struct User {
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::optional<mode_t> umask;
  std::vector<std::uint32_t> additional_gids;
};

struct Rlimit {
  int resource = 0;  // RLIMIT_NOFILE, ...
  std::uint64_t soft = 0;
  std::uint64_t hard = 0;
};

// Capability numbers (cap_value_t, as libcap's cap_from_name gives them).
struct Capabilities {
  std::vector<int> bounding, effective, inheritable, permitted, ambient;
};

struct ConsoleSize {
  unsigned height = 0;
  unsigned width = 0;
};

struct Process {
  bool terminal = false;
  ConsoleSize console_size;
  User user;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string cwd = "/";
  std::optional<Capabilities> capabilities;  // absent: keep the runtime's own sets
  std::vector<Rlimit> rlimits;
  bool no_new_privileges = false;
  std::optional<int> oom_score_adj;
  std::string apparmor_profile;  // applied at exec; an error where AppArmor is not enabled
  std::string selinux_label;     // accepted; not applied
};

struct Root {
  std::string path;  // relative paths are relative to the bundle
  bool readonly = false;
};

struct Mount {
  std::string destination;  // absolute, inside the container
  std::string type;         // "bind" for bind mounts when options lack "bind"
  std::string source;
  std::vector<std::string> options;  // as written
  unsigned long flags = 0;           // MS_* set by the options (MS_BIND, MS_RDONLY, ...)
  unsigned long clear_flags = 0;     // MS_* the options clear ("rw", "suid", "dev", ...)
  unsigned long propagation = 0;     // MS_PRIVATE/MS_SHARED/MS_SLAVE/MS_UNBINDABLE [|MS_REC]
  std::string data;                  // the rest, comma-joined: "size=65536k,mode=755"

  bool is_bind() const;
};

struct Hook {
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::optional<int> timeout;  // seconds
};

struct Hooks {
  std::vector<Hook> prestart, create_runtime, create_container, start_container, poststart,
      poststop;
};

struct Device {
  char type = 'c';  // c, b, u, p
  std::string path;
  std::int64_t major = 0;
  std::int64_t minor = 0;
  std::optional<mode_t> file_mode;
  std::optional<std::uint32_t> uid;
  std::optional<std::uint32_t> gid;
};

// linux.resources.devices: the device cgroup's allow/deny list.
struct DeviceRule {
  bool allow = false;
  char type = 'a';                    // a, c, b
  std::optional<std::int64_t> major;  // absent: any (*)
  std::optional<std::int64_t> minor;
  std::string access = "rwm";
};

enum class SeccompAction { KillThread, KillProcess, Trap, Errno, Trace, Allow, Log, Notify };

enum class SeccompOp {
  NotEqual,
  LessThan,
  LessEqual,
  Equal,
  GreaterEqual,
  GreaterThan,
  MaskedEqual
};

struct SeccompArg {
  unsigned index = 0;
  std::uint64_t value = 0;
  std::uint64_t value_two = 0;
  SeccompOp op = SeccompOp::Equal;
};

struct SeccompRule {
  std::vector<std::string> names;  // unknown names are skipped when loading, as runc does
  SeccompAction action = SeccompAction::Allow;
  std::optional<std::uint32_t> errno_ret;
  std::vector<SeccompArg> args;
};

struct Seccomp {
  SeccompAction default_action = SeccompAction::Allow;
  std::optional<std::uint32_t> default_errno_ret;
  std::vector<std::string> architectures;  // "SCMP_ARCH_X86_64", ... (validated names)
  std::vector<std::string> flags;          // "SECCOMP_FILTER_FLAG_LOG", ...
  std::vector<SeccompRule> syscalls;
  std::string listener_path;      // SCMP_ACT_NOTIFY: where the notify fd is sent
  std::string listener_metadata;  // opaque, passed to the listener
};

struct LinuxConfig {
  std::vector<Namespace> namespaces;
  std::vector<IdMapping> uid_mappings;
  std::vector<IdMapping> gid_mappings;
  std::vector<Device> devices;
  std::string cgroups_path;
  cgroups::Resources resources;  // via cgroups::from_oci
  std::vector<DeviceRule> device_rules;
  unsigned long rootfs_propagation = 0;  // MS_* | MS_REC, 0 = default (rprivate)
  std::optional<Seccomp> seccomp;
  std::map<std::string, std::string> sysctl;
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  std::string mount_label;  // accepted; not applied
  // Settings accepted but not applied (linux.resources.memory.kernel); create prints them.
  std::vector<std::string> warnings;

  const Namespace* find(NamespaceType type) const;
  bool has(NamespaceType type) const { return find(type) != nullptr; }
};

struct Spec {
  std::string oci_version;
  std::optional<Process> process;  // required by create; optional in the spec
  Root root;
  std::string hostname;
  std::string domainname;
  std::vector<Mount> mounts;
  Hooks hooks;
  std::map<std::string, std::string> annotations;
  LinuxConfig linux_config;
  nlohmann::json raw;  // the document as read, for `state` annotations and hooks
};

// "CAP_CHOWN" -> 0; nullopt for anything else, including bare numbers and names without
// the "CAP_" prefix (which libcap alone would accept).
std::optional<int> capability_from_name(std::string_view name);
// Every capability this build knows, as "CAP_*" names, in number order.
const std::vector<std::string>& all_capability_names();

// Converts and validates; throws SpecError naming the field.
Spec parse_spec(const nlohmann::json& config);
// Reads BUNDLE/config.json; errors are prefixed "config.json: ". Malformed JSON names the
// byte offset.
Spec load_spec(const std::filesystem::path& bundle);
// `exec --process FILE` takes a bare process object; `where` prefixes field names.
Process parse_process(const nlohmann::json& process, const std::string& where = "process");
// A config.json like `runc spec` writes: sh in a busybox-style rootfs, default
// capabilities, masked and read-only paths, the standard mounts.
nlohmann::json default_spec();

}  // namespace skiff::oci
