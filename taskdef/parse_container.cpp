// One containerDefinitions[] entry: types, per-field ranges and ECS defaults. Rules that look
// at other containers or the task live in validate.cpp.
#include <algorithm>
#include <array>
#include <cctype>
#include <limits>
#include <stdexcept>

#include "cgroups/resources.h"
#include "common/error.h"
#include "common/rlimit_names.h"
#include "runtime/spec/spec.h"
#include "taskdef/parse_parts.h"

namespace skiff::taskdef::detail {
namespace {

// ECS's ulimit names (RLIMIT_AS is not among them).
constexpr std::array<std::string_view, 15> kUlimitNames{
    "core",   "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue", "nice",
    "nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack"};

// linuxParameters.tmpfs[].mountOptions as ECS lists them; "mode=1777"-style values are
// checked by name.
constexpr std::array<std::string_view, 38> kTmpfsOptions{
    "defaults",   "ro",          "rw",         "suid",        "nosuid",        "dev",     "nodev",
    "exec",       "noexec",      "sync",       "async",       "dirsync",       "remount", "mand",
    "nomand",     "atime",       "noatime",    "diratime",    "nodiratime",    "bind",    "rbind",
    "unbindable", "runbindable", "private",    "rprivate",    "shared",        "rshared", "slave",
    "rslave",     "relatime",    "norelatime", "strictatime", "nostrictatime", "mode",    "uid",
    "gid",        "nr_inodes",   "nr_blocks"};

template <std::size_t N>
bool one_of(const std::array<std::string_view, N>& list, std::string_view v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

void check_absolute(const std::string& p, const std::string& path) {
  if (p.empty() || p.front() != '/') {
    fail(path, "must be an absolute path, got \"" + p + "\"");
  }
}

std::vector<EnvVar> parse_environment(const json& j, const std::string& path,
                                      Unsupported& unsupported) {
  std::vector<EnvVar> out;
  const json& a = as_array(j, path);
  for (std::size_t i = 0; i < a.size(); ++i) {
    ObjectReader r(a[i], at_index(path, i), EcsObject::kKeyValuePair, unsupported);
    EnvVar v;
    v.name = as_string(r.require("name"), r.path_of("name"));
    if (v.name.empty() || v.name.find('=') != std::string::npos) {
      fail(r.path_of("name"), "invalid variable name \"" + v.name + "\"");
    }
    if (const json* value = r.get("value")) v.value = as_string(*value, r.path_of("value"));
    r.finish();
    out.push_back(std::move(v));
  }
  return out;
}

std::vector<std::string> parse_environment_files(const json& j, const std::string& path,
                                                 Unsupported& unsupported) {
  std::vector<std::string> out;
  const json& a = as_array(j, path);
  for (std::size_t i = 0; i < a.size(); ++i) {
    ObjectReader r(a[i], at_index(path, i), EcsObject::kEnvironmentFile, unsupported);
    const std::string value = as_string(r.require("value"), r.path_of("value"));
    if (const json* type = r.get("type")) {
      const std::string t = as_string(*type, r.path_of("type"));
      if (t == "s3") {
        fail(r.path_of("type"),
             "s3 environment files are not supported: give a local absolute path and no type");
      }
      if (t != "local") fail(r.path_of("type"), "unknown type \"" + t + "\"");
    }
    check_absolute(value, r.path_of("value"));
    r.finish();
    out.push_back(value);
  }
  return out;
}

std::vector<PortMapping> parse_ports(const json& j, const std::string& path,
                                     const TaskDefinition& task, Unsupported& unsupported) {
  std::vector<PortMapping> out;
  const json& a = as_array(j, path);
  if (task.network_mode == NetworkMode::None && !a.empty()) {
    fail(path, "port mappings need a network; networkMode \"none\" has none");
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    ObjectReader r(a[i], at_index(path, i), EcsObject::kPortMapping, unsupported);
    PortMapping p;
    p.container_port = static_cast<std::uint16_t>(
        as_int_in(r.require("containerPort"), r.path_of("containerPort"), 1, 65535));
    p.host_port = p.container_port;
    if (const json* host = r.get("hostPort")) {
      const auto h = as_int_in(*host, r.path_of("hostPort"), 0, 65535);
      // 0 is how ECS writes "not set"; in host mode anything else must match.
      if (h != 0 && h != p.container_port) {
        // Without networkMode the user asked for ECS's bridge, not for host: say why.
        const std::string why =
            task.network_mode_set
                ? " in host network mode"
                : ": networkMode is not given, which in ECS means \"bridge\"; Skiff does not "
                  "remap ports yet and runs the task on the host network";
        fail(r.path_of("hostPort"), "must equal containerPort (" +
                                        std::to_string(p.container_port) + ")" + why + ", got " +
                                        std::to_string(h));
      }
    }
    if (const json* proto = r.get("protocol")) {
      p.protocol = as_string(*proto, r.path_of("protocol"));
      if (p.protocol != "tcp" && p.protocol != "udp") {
        fail(r.path_of("protocol"), "must be \"tcp\" or \"udp\", got \"" + p.protocol + "\"");
      }
    }
    r.finish();
    out.push_back(p);
  }
  return out;
}

std::vector<MountPoint> parse_mount_points(const json& j, const std::string& path,
                                           Unsupported& unsupported) {
  std::vector<MountPoint> out;
  const json& a = as_array(j, path);
  for (std::size_t i = 0; i < a.size(); ++i) {
    ObjectReader r(a[i], at_index(path, i), EcsObject::kMountPoint, unsupported);
    MountPoint m;
    m.source_volume = as_string(r.require("sourceVolume"), r.path_of("sourceVolume"));
    m.container_path = as_string(r.require("containerPath"), r.path_of("containerPath"));
    check_absolute(m.container_path, r.path_of("containerPath"));
    if (const json* ro = r.get("readOnly")) m.read_only = as_bool(*ro, r.path_of("readOnly"));
    r.finish();
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<VolumeFrom> parse_volumes_from(const json& j, const std::string& path,
                                           Unsupported& unsupported) {
  std::vector<VolumeFrom> out;
  const json& a = as_array(j, path);
  for (std::size_t i = 0; i < a.size(); ++i) {
    ObjectReader r(a[i], at_index(path, i), EcsObject::kVolumeFrom, unsupported);
    VolumeFrom v;
    v.source_container = as_string(r.require("sourceContainer"), r.path_of("sourceContainer"));
    if (const json* ro = r.get("readOnly")) v.read_only = as_bool(*ro, r.path_of("readOnly"));
    r.finish();
    out.push_back(std::move(v));
  }
  return out;
}

HealthCheck parse_health_check(const json& j, const std::string& path, Unsupported& unsupported) {
  ObjectReader r(j, path, EcsObject::kHealthCheck, unsupported);
  HealthCheck h;
  h.command = as_string_list(r.require("command"), r.path_of("command"));
  const std::string cmd_path = r.path_of("command");
  if (h.command.empty()) fail(cmd_path, "must not be empty");
  if (h.command[0] == "CMD") {
    if (h.command.size() < 2) fail(cmd_path, "\"CMD\" needs a program to run after it");
  } else if (h.command[0] == "CMD-SHELL") {
    if (h.command.size() != 2 || h.command[1].empty()) {
      fail(cmd_path, "\"CMD-SHELL\" takes exactly one shell command string after it");
    }
  } else {
    fail(at_index(cmd_path, 0), "must be \"CMD\" or \"CMD-SHELL\", got \"" + h.command[0] + "\"");
  }
  if (const json* v = r.get("interval")) {
    h.interval = static_cast<int>(as_int_in(*v, r.path_of("interval"), 5, 300));
  }
  if (const json* v = r.get("timeout")) {
    h.timeout = static_cast<int>(as_int_in(*v, r.path_of("timeout"), 2, 120));
  }
  if (const json* v = r.get("retries")) {
    h.retries = static_cast<int>(as_int_in(*v, r.path_of("retries"), 1, 10));
  }
  if (const json* v = r.get("startPeriod")) {
    h.start_period = static_cast<int>(as_int_in(*v, r.path_of("startPeriod"), 0, 300));
  }
  r.finish();
  return h;
}

DependencyCondition parse_condition(const json& j, const std::string& path) {
  const std::string c = as_string(j, path);
  if (c == "START") return DependencyCondition::Start;
  if (c == "COMPLETE") return DependencyCondition::Complete;
  if (c == "SUCCESS") return DependencyCondition::Success;
  if (c == "HEALTHY") return DependencyCondition::Healthy;
  fail(path, "must be START, COMPLETE, SUCCESS or HEALTHY, got \"" + c + "\"");
}

std::vector<ContainerDependency> parse_depends_on(const json& j, const std::string& path,
                                                  Unsupported& unsupported) {
  std::vector<ContainerDependency> out;
  const json& a = as_array(j, path);
  for (std::size_t i = 0; i < a.size(); ++i) {
    ObjectReader r(a[i], at_index(path, i), EcsObject::kContainerDependency, unsupported);
    ContainerDependency d;
    d.container_name = as_string(r.require("containerName"), r.path_of("containerName"));
    d.condition = parse_condition(r.require("condition"), r.path_of("condition"));
    r.finish();
    out.push_back(std::move(d));
  }
  return out;
}

void check_capabilities(const std::vector<std::string>& names, const std::string& path) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    std::string up;
    for (char c : names[i])
      up.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    if (up == "ALL") continue;
    if (up.rfind("CAP_", 0) != 0) up = "CAP_" + up;
    if (!oci::capability_from_name(up)) {
      fail(at_index(path, i), "unknown capability \"" + names[i] + "\"");
    }
  }
}

std::vector<Tmpfs> parse_tmpfs(const json& j, const std::string& path, Unsupported& unsupported) {
  std::vector<Tmpfs> out;
  const json& a = as_array(j, path);
  for (std::size_t i = 0; i < a.size(); ++i) {
    ObjectReader r(a[i], at_index(path, i), EcsObject::kTmpfs, unsupported);
    Tmpfs t;
    t.container_path = as_string(r.require("containerPath"), r.path_of("containerPath"));
    check_absolute(t.container_path, r.path_of("containerPath"));
    t.size_mib = static_cast<std::uint64_t>(
        as_int_in(r.require("size"), r.path_of("size"), 1, std::int64_t{1} << 30));
    if (const json* opts = r.get("mountOptions")) {
      t.mount_options = as_string_list(*opts, r.path_of("mountOptions"));
      for (std::size_t k = 0; k < t.mount_options.size(); ++k) {
        const std::string& o = t.mount_options[k];
        if (!one_of(kTmpfsOptions, o.substr(0, o.find('='))) || o.find(',') != std::string::npos) {
          fail(at_index(r.path_of("mountOptions"), k), "unknown tmpfs mount option \"" + o + "\"");
        }
      }
    }
    r.finish();
    out.push_back(std::move(t));
  }
  return out;
}

// ECS's permissions as a device cgroup access string; absent or [] means all three, as the
// ECS agent hands Docker an empty string there and Docker reads that as "rwm".
std::string device_access(const json& j, const std::string& path) {
  const std::vector<std::string> names = as_string_list(j, path);
  if (names.empty()) return "rwm";
  std::string access;
  for (std::size_t i = 0; i < names.size(); ++i) {
    char letter = 0;
    if (names[i] == "read") letter = 'r';
    if (names[i] == "write") letter = 'w';
    if (names[i] == "mknod") letter = 'm';
    if (letter == 0) {
      fail(at_index(path, i), "must be \"read\", \"write\" or \"mknod\", got \"" + names[i] + "\"");
    }
    if (access.find(letter) == std::string::npos) access.push_back(letter);
  }
  std::string ordered;  // "rwm" order, whatever the definition's order
  for (char c : std::string("rwm")) {
    if (access.find(c) != std::string::npos) ordered.push_back(c);
  }
  return ordered;
}

std::vector<DeviceMapping> parse_devices(const json& j, const std::string& path,
                                         Unsupported& unsupported) {
  std::vector<DeviceMapping> out;
  const json& a = as_array(j, path);
  for (std::size_t i = 0; i < a.size(); ++i) {
    ObjectReader r(a[i], at_index(path, i), EcsObject::kDevice, unsupported);
    DeviceMapping d;
    d.host_path = as_string(r.require("hostPath"), r.path_of("hostPath"));
    check_absolute(d.host_path, r.path_of("hostPath"));
    d.container_path = d.host_path;
    if (const json* v = r.get("containerPath")) {
      d.container_path = as_string(*v, r.path_of("containerPath"));
      check_absolute(d.container_path, r.path_of("containerPath"));
    }
    if (d.container_path.find("/../") != std::string::npos || d.container_path.ends_with("/..")) {
      fail(r.path_of("containerPath"), "must not contain \"..\", got \"" + d.container_path + "\"");
    }
    if (const json* v = r.get("permissions"))
      d.access = device_access(*v, r.path_of("permissions"));
    r.finish();
    out.push_back(std::move(d));
  }
  return out;
}

// dockerSecurityOptions: only no-new-privileges has a meaning Skiff gives it; AppArmor and
// SELinux labels or another seccomp profile would be silently weaker if ignored.
bool parse_security_options(const json& j, const std::string& path) {
  const std::vector<std::string> options = as_string_list(j, path);
  bool no_new_privileges = false;
  for (std::size_t i = 0; i < options.size(); ++i) {
    const std::string& o = options[i];
    if (o == "no-new-privileges" || o == "no-new-privileges:true" ||
        o == "no-new-privileges=true") {
      no_new_privileges = true;
    } else if (o.starts_with("apparmor") || o.starts_with("label") || o.starts_with("seccomp")) {
      fail(at_index(path, i), "\"" + o +
                                  "\" is not supported (Skiff has no AppArmor or SELinux "
                                  "support and uses its own seccomp profile)");
    } else {
      fail(at_index(path, i), "\"" + o + "\" is not supported (only \"no-new-privileges\" is)");
    }
  }
  return no_new_privileges;
}

LinuxParameters parse_linux_parameters(const json& j, const std::string& path,
                                       Unsupported& unsupported) {
  ObjectReader r(j, path, EcsObject::kLinuxParameters, unsupported);
  LinuxParameters p;
  if (const json* caps = r.get("capabilities")) {
    ObjectReader c(*caps, r.path_of("capabilities"), EcsObject::kKernelCapabilities, unsupported);
    if (const json* add = c.get("add")) p.cap_add = as_string_list(*add, c.path_of("add"));
    if (const json* drop = c.get("drop")) p.cap_drop = as_string_list(*drop, c.path_of("drop"));
    check_capabilities(p.cap_add, c.path_of("add"));
    check_capabilities(p.cap_drop, c.path_of("drop"));
    c.finish();
  }
  if (const json* v = r.get("initProcessEnabled")) {
    p.init_process_enabled = as_bool(*v, r.path_of("initProcessEnabled"));
  }
  if (const json* v = r.get("sharedMemorySize")) {
    p.shared_memory_size_mib = static_cast<std::uint64_t>(
        as_int_in(*v, r.path_of("sharedMemorySize"), 1, std::int64_t{1} << 30));
  }
  if (const json* v = r.get("tmpfs")) p.tmpfs = parse_tmpfs(*v, r.path_of("tmpfs"), unsupported);
  if (const json* v = r.get("devices")) {
    p.devices = parse_devices(*v, r.path_of("devices"), unsupported);
  }
  r.finish();
  return p;
}

std::vector<Ulimit> parse_ulimits(const json& j, const std::string& path,
                                  Unsupported& unsupported) {
  std::vector<Ulimit> out;
  const json& a = as_array(j, path);
  for (std::size_t i = 0; i < a.size(); ++i) {
    ObjectReader r(a[i], at_index(path, i), EcsObject::kUlimit, unsupported);
    Ulimit u;
    u.name = as_string(r.require("name"), r.path_of("name"));
    if (!one_of(kUlimitNames, u.name)) fail(r.path_of("name"), "unknown ulimit \"" + u.name + "\"");
    std::string upper = "RLIMIT_";
    for (char c : u.name)
      upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    u.resource = *rlimit_from_name(upper);
    constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
    u.soft = as_int_in(r.require("softLimit"), r.path_of("softLimit"), -1, kMax);
    u.hard = as_int_in(r.require("hardLimit"), r.path_of("hardLimit"), -1, kMax);
    auto effective = [](std::int64_t v) { return v == kUlimitUnlimited ? kMax : v; };
    if (effective(u.soft) > effective(u.hard)) {
      fail(r.path(),
           "softLimit " + std::to_string(u.soft) + " is above hardLimit " + std::to_string(u.hard));
    }
    for (const Ulimit& seen : out) {
      if (seen.name == u.name) fail(r.path_of("name"), "duplicate ulimit \"" + u.name + "\"");
    }
    r.finish();
    out.push_back(std::move(u));
  }
  return out;
}

std::map<std::string, std::string> parse_labels(const json& j, const std::string& path) {
  std::map<std::string, std::string> out;
  const json& o = as_object(j, path);
  for (auto it = o.begin(); it != o.end(); ++it) {
    if (it.key().empty()) fail(path, "label names must not be empty");
    out[it.key()] = as_string(it.value(), at_key(path, it.key()));
  }
  return out;
}

RestartPolicy parse_restart_policy(const json& j, const std::string& path,
                                   Unsupported& unsupported) {
  ObjectReader r(j, path, EcsObject::kRestartPolicy, unsupported);
  RestartPolicy p;
  p.enabled = as_bool(r.require("enabled"), r.path_of("enabled"));
  if (const json* codes = r.get("ignoredExitCodes")) {
    const json& a = as_array(*codes, r.path_of("ignoredExitCodes"));
    if (a.size() > 50) {
      fail(r.path_of("ignoredExitCodes"), "at most 50 exit codes, got " + std::to_string(a.size()));
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
      p.ignored_exit_codes.push_back(
          static_cast<int>(as_int_in(a[i], at_index(r.path_of("ignoredExitCodes"), i), 0, 255)));
    }
  }
  if (const json* v = r.get("restartAttemptPeriod")) {
    p.restart_attempt_period =
        static_cast<int>(as_int_in(*v, r.path_of("restartAttemptPeriod"), 60, 1800));
  }
  r.finish();
  return p;
}

LogConfiguration parse_log_configuration(const json& j, const std::string& path,
                                         Unsupported& unsupported) {
  ObjectReader r(j, path, EcsObject::kLogConfiguration, unsupported);
  LogConfiguration l;
  const std::string driver = as_string(r.require("logDriver"), r.path_of("logDriver"));
  if (driver == "json-file") {
    l.driver = LogDriver::JsonFile;
  } else if (driver == "local") {
    l.driver = LogDriver::Local;
  } else if (driver == "journald") {
    l.driver = LogDriver::Journald;
  } else {
    fail(r.path_of("logDriver"),
         "log driver \"" + driver + "\" is not supported (use json-file, local or journald)");
  }
  if (const json* opts = r.get("options")) {
    const std::string opath = r.path_of("options");
    const json& o = as_object(*opts, opath);
    const bool file_driver = l.driver != LogDriver::Journald;
    for (auto it = o.begin(); it != o.end(); ++it) {
      const std::string key_path = at_key(opath, it.key());
      const std::string value = as_string(it.value(), key_path);
      if (file_driver && it.key() == "max-size") {
        try {
          l.max_size = cgroups::parse_size(value);
        } catch (const Error& e) {
          fail(key_path, e.what());
        } catch (const std::out_of_range&) {  // parse_size's std::stoull
          fail(key_path, "size \"" + value + "\" is too large");
        }
        if (*l.max_size <= 0) fail(key_path, "must be a positive size such as \"10m\"");
      } else if (file_driver && it.key() == "max-file") {
        const bool digits = !value.empty() && value.size() <= 4 &&
                            std::all_of(value.begin(), value.end(), [](char ch) {
                              return std::isdigit(static_cast<unsigned char>(ch)) != 0;
                            });
        if (!digits || std::stoi(value) < 1 || std::stoi(value) > 1000) {
          fail(key_path, "must be a number of files 1..1000, got \"" + value + "\"");
        }
        l.max_file = std::stoi(value);
      } else {
        unsupported.push_back(key_path);
      }
    }
  }
  r.finish();
  return l;
}

}  // namespace

void check_ecs_name(const std::string& name, const std::string& path) {
  if (name.empty() || name.size() > 255) {
    fail(path, "must be 1..255 characters, got " + std::to_string(name.size()));
  }
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') {
      fail(path, "\"" + name + "\" may contain only letters, digits, '-' and '_'");
    }
  }
}

ContainerDefinition parse_container(const json& j, const std::string& path,
                                    const TaskDefinition& task, const ParseOptions& options,
                                    Unsupported& unsupported) {
  ObjectReader r(j, path, EcsObject::kContainerDefinition, unsupported);
  ContainerDefinition c;
  c.stop_timeout = options.default_stop_timeout;
  c.name = as_string(r.require("name"), r.path_of("name"));
  check_ecs_name(c.name, r.path_of("name"));
  c.image = as_string(r.require("image"), r.path_of("image"));
  if (c.image.empty()) fail(r.path_of("image"), "must not be empty");
  if (const json* v = r.get("command")) c.command = as_string_list(*v, r.path_of("command"));
  if (const json* v = r.get("entryPoint")) {
    c.entry_point = as_string_list(*v, r.path_of("entryPoint"));
  }
  if (const json* v = r.get("environment")) {
    c.environment = parse_environment(*v, r.path_of("environment"), unsupported);
  }
  if (const json* v = r.get("environmentFiles")) {
    c.environment_files = parse_environment_files(*v, r.path_of("environmentFiles"), unsupported);
  }
  if (const json* v = r.get("cpu")) {
    c.cpu = static_cast<std::uint32_t>(as_int_in(*v, r.path_of("cpu"), 0, 196608));
  }
  if (const json* v = r.get("memory")) {
    c.memory_mib =
        static_cast<std::uint64_t>(as_int_in(*v, r.path_of("memory"), 6, std::int64_t{1} << 30));
  }
  if (const json* v = r.get("memoryReservation")) {
    c.memory_reservation_mib = static_cast<std::uint64_t>(
        as_int_in(*v, r.path_of("memoryReservation"), 1, std::int64_t{1} << 30));
  }
  if (const json* v = r.get("essential")) c.essential = as_bool(*v, r.path_of("essential"));
  if (const json* v = r.get("portMappings")) {
    c.port_mappings = parse_ports(*v, r.path_of("portMappings"), task, unsupported);
  }
  if (const json* v = r.get("mountPoints")) {
    c.mount_points = parse_mount_points(*v, r.path_of("mountPoints"), unsupported);
  }
  if (const json* v = r.get("volumesFrom")) {
    c.volumes_from = parse_volumes_from(*v, r.path_of("volumesFrom"), unsupported);
  }
  if (const json* v = r.get("healthCheck")) {
    c.health_check = parse_health_check(*v, r.path_of("healthCheck"), unsupported);
  }
  if (const json* v = r.get("startTimeout")) {
    c.start_timeout = static_cast<int>(as_int_in(*v, r.path_of("startTimeout"), 2, 120));
  }
  if (const json* v = r.get("stopTimeout")) {
    c.stop_timeout = static_cast<int>(as_int_in(*v, r.path_of("stopTimeout"), 0, 120));
  }
  if (const json* v = r.get("dependsOn")) {
    c.depends_on = parse_depends_on(*v, r.path_of("dependsOn"), unsupported);
  }
  if (const json* v = r.get("user")) c.user = as_string(*v, r.path_of("user"));
  if (const json* v = r.get("workingDirectory")) {
    c.working_directory = as_string(*v, r.path_of("workingDirectory"));
    if (!c.working_directory.empty()) {
      check_absolute(c.working_directory, r.path_of("workingDirectory"));
    }
  }
  if (const json* v = r.get("readonlyRootFilesystem")) {
    c.readonly_root_filesystem = as_bool(*v, r.path_of("readonlyRootFilesystem"));
  }
  if (const json* v = r.get("privileged")) c.privileged = as_bool(*v, r.path_of("privileged"));
  if (const json* v = r.get("disableNetworking")) {
    c.disable_networking = as_bool(*v, r.path_of("disableNetworking"));
  }
  if (const json* v = r.get("dockerSecurityOptions")) {
    c.no_new_privileges = parse_security_options(*v, r.path_of("dockerSecurityOptions"));
  }
  if (const json* v = r.get("linuxParameters")) {
    c.linux_parameters = parse_linux_parameters(*v, r.path_of("linuxParameters"), unsupported);
  }
  if (const json* v = r.get("ulimits")) {
    c.ulimits = parse_ulimits(*v, r.path_of("ulimits"), unsupported);
  }
  if (const json* v = r.get("dockerLabels")) {
    c.docker_labels = parse_labels(*v, r.path_of("dockerLabels"));
  }
  if (const json* v = r.get("restartPolicy")) {
    c.restart_policy = parse_restart_policy(*v, r.path_of("restartPolicy"), unsupported);
  }
  if (const json* v = r.get("logConfiguration")) {
    c.log_configuration = parse_log_configuration(*v, r.path_of("logConfiguration"), unsupported);
  }
  r.finish();
  return c;
}

}  // namespace skiff::taskdef::detail
