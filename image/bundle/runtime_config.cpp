// make_runtime_config: the image's defaults, the task's overrides, Docker's security
// defaults. Image labels are not copied into annotations: they come from whoever built the
// image, and runtimes and hooks act on some annotations; the task's own labels are.
#include <algorithm>
#include <optional>

#include "common/error.h"
#include "common/rlimit_names.h"
#include "image/bundle/bundle.h"
#include "image/bundle/user_lookup.h"
#include "runtime/spec/hardening.h"

namespace skiff::image {
namespace {

using json = nlohmann::json;

constexpr const char* kDefaultPath =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// The fields we read from the image config, type-checked; null means absent, as Docker
// writes null for unset members.
struct ImageConfig {
  std::optional<std::vector<std::string>> entrypoint;
  std::optional<std::vector<std::string>> cmd;
  std::vector<std::string> env;
  std::string working_dir;
  std::string user;
  std::string stop_signal;
};

const json* member(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<std::vector<std::string>> string_list(const json& j, const char* key) {
  const json* v = member(j, key);
  if (v == nullptr) return std::nullopt;
  const std::string field = std::string("config.") + key;
  if (!v->is_array()) throw Error(field + ": expected an array of strings");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < v->size(); ++i) {
    if (!(*v)[i].is_string()) {
      throw Error(field + "[" + std::to_string(i) + "]: expected a string");
    }
    out.push_back((*v)[i].get<std::string>());
  }
  return out;
}

std::string string_field(const json& j, const char* key) {
  const json* v = member(j, key);
  if (v == nullptr) return {};
  if (!v->is_string()) throw Error(std::string("config.") + key + ": expected a string");
  return v->get<std::string>();
}

ImageConfig parse_image_config(const json& j) {
  ImageConfig c;
  if (j.is_null()) return c;
  if (!j.is_object()) throw Error("config: expected an object");
  c.entrypoint = string_list(j, "Entrypoint");
  c.cmd = string_list(j, "Cmd");
  c.env = string_list(j, "Env").value_or(std::vector<std::string>{});
  for (std::size_t i = 0; i < c.env.size(); ++i) {
    if (c.env[i].find('=') == std::string::npos || c.env[i].front() == '=') {
      throw Error("config.Env[" + std::to_string(i) + "]: expected NAME=value, got \"" + c.env[i] +
                  "\"");
    }
  }
  c.working_dir = string_field(j, "WorkingDir");
  c.user = string_field(j, "User");
  c.stop_signal = string_field(j, "StopSignal");
  return c;
}

std::vector<std::string> make_args(const ImageConfig& image, const BundleOverrides& o) {
  std::vector<std::string> args =
      o.entrypoint ? *o.entrypoint : image.entrypoint.value_or(std::vector<std::string>{});
  // A new entrypoint makes the image's Cmd (its arguments) meaningless: Docker drops it.
  std::vector<std::string> cmd;
  if (o.command) {
    cmd = *o.command;
  } else if (!o.entrypoint) {
    cmd = image.cmd.value_or(std::vector<std::string>{});
  }
  args.insert(args.end(), cmd.begin(), cmd.end());
  if (args.empty()) {
    throw Error("no command: config.Entrypoint and config.Cmd are empty and no override given");
  }
  if (!o.init_path.empty()) args.insert(args.begin(), {"/dev/init", "--"});
  return args;
}

std::string env_name(const std::string& entry) {
  return entry.substr(0, entry.find('='));
}

void set_env(std::vector<std::string>& env, const std::string& entry) {
  const std::string name = env_name(entry);
  for (std::string& e : env) {
    if (env_name(e) == name) {
      e = entry;
      return;
    }
  }
  env.push_back(entry);
}

bool has_env(const std::vector<std::string>& env, const std::string& name) {
  return std::any_of(env.begin(), env.end(),
                     [&](const std::string& e) { return env_name(e) == name; });
}

std::vector<std::string> make_env(const ImageConfig& image, const BundleOverrides& o) {
  std::vector<std::string> env = image.env;
  for (std::size_t i = 0; i < o.env.size(); ++i) {
    const std::string& e = o.env[i];
    if (e.find('=') == std::string::npos || e.front() == '=') {
      throw Error("overrides.env[" + std::to_string(i) + "]: expected NAME=value, got \"" + e +
                  "\"");
    }
    set_env(env, e);
  }
  if (!has_env(env, "PATH")) env.insert(env.begin(), kDefaultPath);
  if (!o.hostname.empty() && !has_env(env, "HOSTNAME")) env.push_back("HOSTNAME=" + o.hostname);
  return env;
}

std::string make_cwd(const ImageConfig& image, const BundleOverrides& o) {
  if (!o.working_dir.empty()) {
    if (o.working_dir.front() != '/') {
      throw Error("overrides.workingDir: must be an absolute path, got \"" + o.working_dir + "\"");
    }
    return o.working_dir;
  }
  if (image.working_dir.empty()) return "/";
  if (image.working_dir.front() != '/') {
    throw Error("config.WorkingDir: must be an absolute path, got \"" + image.working_dir + "\"");
  }
  return image.working_dir;
}

json mount(const char* destination, const char* type, const char* source,
           std::initializer_list<const char*> options) {
  json m = {{"destination", destination}, {"type", type}, {"source", source}};
  json list = json::array();
  for (const char* option : options) list.push_back(option);
  if (!list.empty()) m["options"] = list;
  return m;
}

json make_mounts(const BundleOverrides& o) {
  json standard = json::array({
      mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}),
      mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
      mount("/dev/pts", "devpts", "devpts",
            {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}),
      mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}),
      mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
      o.privileged ? mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "rw"})
                   : mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
      o.privileged ? mount("/sys/fs/cgroup", "cgroup", "cgroup",
                           {"nosuid", "noexec", "nodev", "relatime", "rw"})
                   : mount("/sys/fs/cgroup", "cgroup", "cgroup",
                           {"nosuid", "noexec", "nodev", "relatime", "ro"}),
  });
  json extra = json::array();
  for (std::size_t i = 0; i < o.mounts.size(); ++i) {
    const BundleMount& m = o.mounts[i];
    const std::string field = "overrides.mounts[" + std::to_string(i) + "]";
    if (m.destination.empty() || m.destination.front() != '/') {
      throw Error(field + ".destination: must be an absolute path, got \"" + m.destination + "\"");
    }
    if (m.source.empty()) throw Error(field + ".source: must not be empty");
    if (m.type.empty()) throw Error(field + ".type: must not be empty");
    json options = json::array();
    if (m.type == "bind") {
      options.push_back("rbind");
      options.push_back("rprivate");
    }
    options.push_back(m.readonly ? "ro" : "rw");
    for (const std::string& opt : m.options) options.push_back(opt);
    extra.push_back({{"destination", m.destination},
                     {"type", m.type},
                     {"source", m.source},
                     {"options", options}});
  }
  if (!o.init_path.empty()) {
    extra.push_back({{"destination", "/dev/init"},
                     {"type", "bind"},
                     {"source", o.init_path},
                     {"options", {"bind", "ro", "nosuid", "nodev"}}});
  }
  // A task's own mount on a standard destination (a bigger /dev/shm) replaces the default.
  json out = json::array();
  for (const json& s : standard) {
    const bool replaced = std::any_of(extra.begin(), extra.end(), [&](const json& e) {
      return e["destination"] == s["destination"];
    });
    if (!replaced) out.push_back(s);
  }
  for (const json& e : extra) out.push_back(e);
  return out;
}

json make_resources(const BundleOverrides& o) {
  // The device cgroup denies everything; the runtime then allows the standard nodes.
  json rules = json::array({{{"allow", false}, {"access", "rwm"}}});
  // Privileged allows every device; its hundreds of host nodes need no rule each.
  if (o.privileged) {
    rules.push_back({{"allow", true}, {"access", "rwm"}});
  } else {
    for (const BundleDevice& d : o.devices) {
      rules.push_back({{"allow", true},
                       {"type", std::string(1, d.type)},
                       {"major", d.major},
                       {"minor", d.minor},
                       {"access", d.access}});
    }
  }
  json r = {{"devices", rules}};
  json memory = json::object();
  if (o.memory_limit) memory["limit"] = *o.memory_limit;
  if (o.memory_reservation) memory["reservation"] = *o.memory_reservation;
  if (!memory.empty()) r["memory"] = memory;
  json cpu = json::object();
  if (o.cpu_shares) cpu["shares"] = *o.cpu_shares;
  if (o.cpu_quota) cpu["quota"] = *o.cpu_quota;
  if (o.cpu_period) cpu["period"] = *o.cpu_period;
  if (!cpu.empty()) r["cpu"] = cpu;
  if (o.pids_limit) r["pids"] = {{"limit", *o.pids_limit}};
  return r;
}

json make_devices(const BundleOverrides& o) {
  json out = json::array();
  for (std::size_t i = 0; i < o.devices.size(); ++i) {
    const BundleDevice& d = o.devices[i];
    const std::string field = "overrides.devices[" + std::to_string(i) + "]";
    if (d.path.empty() || d.path.front() != '/') {
      throw Error(field + ".path: must be an absolute path, got \"" + d.path + "\"");
    }
    if (d.type != 'c' && d.type != 'b') {
      throw Error(field + ".type: must be 'c' or 'b', got '" + std::string(1, d.type) + "'");
    }
    const bool access_ok = !d.access.empty() && d.access.size() <= 3 &&
                           d.access.find_first_not_of("rwm") == std::string::npos;
    if (!access_ok) {
      throw Error(field + ".access: must be a subset of \"rwm\", got \"" + d.access + "\"");
    }
    out.push_back({{"path", d.path},
                   {"type", std::string(1, d.type)},
                   {"major", d.major},
                   {"minor", d.minor},
                   {"fileMode", d.file_mode & 07777},
                   {"uid", d.uid},
                   {"gid", d.gid}});
  }
  return out;
}

json make_namespaces(const BundleOverrides& o) {
  const std::vector<std::string> shareable = {"network", "pid", "ipc"};
  for (std::size_t i = 0; i < o.host_namespaces.size(); ++i) {
    if (std::find(shareable.begin(), shareable.end(), o.host_namespaces[i]) == shareable.end()) {
      throw Error("overrides.hostNamespaces[" + std::to_string(i) +
                  "]: must be network, pid or ipc, got \"" + o.host_namespaces[i] + "\"");
    }
  }
  for (const auto& [type, path] : o.join_namespaces) {
    if (type != "pid" && type != "ipc") {
      throw Error("overrides.joinNamespaces: can join pid or ipc, not \"" + type + "\"");
    }
    if (path.empty() || path.front() != '/') {
      throw Error("overrides.joinNamespaces." + type + ": must be an absolute path, got \"" + path +
                  "\"");
    }
  }
  auto on_host = [&](const char* type) {
    return std::find(o.host_namespaces.begin(), o.host_namespaces.end(), type) !=
           o.host_namespaces.end();
  };
  json ns = json::array();
  for (const char* type : {"pid", "ipc", "uts", "mount", "cgroup"}) {
    if (on_host(type)) continue;
    json entry = {{"type", type}};
    auto join = o.join_namespaces.find(type);
    if (join != o.join_namespaces.end()) entry["path"] = join->second;
    ns.push_back(entry);
  }
  if (on_host("network")) return ns;
  json net = {{"type", "network"}};
  if (!o.network_ns_path.empty()) {
    if (o.network_ns_path.front() != '/') {
      throw Error("overrides.networkNamespace: must be an absolute path, got \"" +
                  o.network_ns_path + "\"");
    }
    net["path"] = o.network_ns_path;
  }
  ns.push_back(net);
  return ns;
}

// The default RLIMIT_NOFILE 1024 (Docker's), then the task's ulimits on top.
json make_rlimits(const BundleOverrides& o) {
  json out = json::array({{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}});
  for (std::size_t i = 0; i < o.rlimits.size(); ++i) {
    const BundleRlimit& r = o.rlimits[i];
    const std::string field = "overrides.rlimits[" + std::to_string(i) + "]";
    if (!rlimit_from_name(r.type)) throw Error(field + ".type: unknown rlimit \"" + r.type + "\"");
    if (r.soft > r.hard) throw Error(field + ": soft limit is above hard limit");
    json entry = {{"type", r.type}, {"hard", r.hard}, {"soft", r.soft}};
    auto same =
        std::find_if(out.begin(), out.end(), [&](const json& e) { return e["type"] == r.type; });
    if (same != out.end()) {
      *same = entry;
    } else {
      out.push_back(entry);
    }
  }
  return out;
}

}  // namespace

json make_runtime_config(const json& image_config, const BundleOverrides& o,
                         const std::filesystem::path& rootfs) {
  const ImageConfig image = parse_image_config(image_config);
  const bool user_override = !o.user.empty();
  const ResolvedUser user = resolve_user(rootfs, user_override ? o.user : image.user,
                                         user_override ? "overrides.user" : "config.User");
  json user_json = {{"uid", user.uid}, {"gid", user.gid}};
  if (!user.additional_gids.empty()) user_json["additionalGids"] = user.additional_gids;

  const std::vector<std::string> caps = effective_capabilities(o);
  json process = {
      {"terminal", false},
      {"user", user_json},
      {"args", make_args(image, o)},
      {"env", make_env(image, o)},
      {"cwd", make_cwd(image, o)},
      {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
      {"rlimits", make_rlimits(o)},
      {"noNewPrivileges", o.no_new_privileges.value_or(true)},
  };
  json linux_json = {
      {"resources", make_resources(o)},
      {"namespaces", make_namespaces(o)},
  };
  const json devices = make_devices(o);
  if (!devices.empty()) linux_json["devices"] = devices;
  // Privileged is Docker's: nothing hidden, nothing filtered.
  if (!o.privileged) {
    linux_json["maskedPaths"] = json(oci::hardening::kMaskedPaths);
    linux_json["readonlyPaths"] = json(oci::hardening::kReadonlyPaths);
    linux_json["seccomp"] = default_seccomp_profile(caps);
  }
  if (!o.cgroups_path.empty()) linux_json["cgroupsPath"] = o.cgroups_path;
  json config = {
      {"ociVersion", "1.1.0"},
      {"process", process},
      {"root", {{"path", "rootfs"}, {"readonly", o.readonly_rootfs}}},
      {"mounts", make_mounts(o)},
      {"linux", linux_json},
  };
  if (!o.hostname.empty()) config["hostname"] = o.hostname;
  json annotations = json::object();
  for (const auto& [key, value] : o.annotations) {
    if (key.empty()) throw Error("overrides.annotations: keys must not be empty");
    annotations[key] = value;
  }
  if (!image.stop_signal.empty()) {
    annotations["org.opencontainers.image.stopSignal"] = image.stop_signal;
  }
  if (!annotations.empty()) config["annotations"] = annotations;
  return config;
}

}  // namespace skiff::image
