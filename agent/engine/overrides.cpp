// container_overrides(), task_resources(), container_resources().
#include "agent/engine/overrides.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <set>

#include "agent/engine/host_devices.h"
#include "common/error.h"
#include "common/rlimit_names.h"

namespace skiff::agent {
namespace {

constexpr std::uint64_t kUnlimitedRlimit = std::numeric_limits<std::uint64_t>::max();

std::string volume_path(const TaskDefinition& task, const std::string& name,
                        const OverrideContext& context) {
  auto given = context.volume_paths.find(name);
  if (given != context.volume_paths.end()) return given->second;
  const Volume* v = task.find_volume(name);
  if (v == nullptr) throw Error("volume \"" + name + "\" is not in the task definition");
  if (v->scratch()) {
    throw Error("volume \"" + name + "\" is task scratch space and has no directory yet");
  }
  return v->host_source_path;
}

void add_volume_mount(std::vector<image::BundleMount>& mounts, std::set<std::string>& targets,
                      const std::string& source, const std::string& target, bool read_only) {
  if (!targets.insert(target).second) return;  // the container's own mount point wins
  mounts.push_back({.destination = target, .source = source, .readonly = read_only});
}

// volumesFrom: the source container's mount points, and theirs in turn.
void add_volumes_from(const TaskDefinition& task, const ContainerDefinition& c,
                      const OverrideContext& context, bool read_only,
                      std::set<std::string>& visited, std::vector<image::BundleMount>& mounts,
                      std::set<std::string>& targets) {
  for (const VolumeFrom& from : c.volumes_from) {
    if (!visited.insert(from.source_container).second) continue;
    const ContainerDefinition* source = task.find_container(from.source_container);
    if (source == nullptr) {
      throw Error("volumesFrom: unknown container \"" + from.source_container + "\"");
    }
    const bool ro = read_only || from.read_only;
    for (const MountPoint& m : source->mount_points) {
      add_volume_mount(mounts, targets, volume_path(task, m.source_volume, context),
                       m.container_path, ro || m.read_only);
    }
    add_volumes_from(task, *source, context, ro, visited, mounts, targets);
  }
}

bool has_option(const std::vector<std::string>& options, const std::string& o) {
  return std::find(options.begin(), options.end(), o) != options.end();
}

image::BundleMount tmpfs_mount(const Tmpfs& t) {
  image::BundleMount m{.destination = t.container_path, .source = "tmpfs", .type = "tmpfs"};
  // Docker's defaults, unless the definition says either way.
  for (const char* flag : {"suid", "dev", "exec"}) {
    const std::string no = std::string("no") + flag;
    if (!has_option(t.mount_options, flag) && !has_option(t.mount_options, no)) {
      m.options.push_back(no);
    }
  }
  for (const std::string& o : t.mount_options) {
    // ro/rw travel in `readonly`; "defaults" means nothing beyond them.
    if (o == "ro") {
      m.readonly = true;
    } else if (o != "rw" && o != "defaults") {
      m.options.push_back(o);
    }
  }
  m.options.push_back("size=" + std::to_string(t.size_mib) + "m");
  return m;
}

std::vector<image::BundleMount> make_mounts(const TaskDefinition& task,
                                            const ContainerDefinition& c,
                                            const OverrideContext& context) {
  std::vector<image::BundleMount> mounts;
  std::set<std::string> targets;
  for (const MountPoint& m : c.mount_points) {
    add_volume_mount(mounts, targets, volume_path(task, m.source_volume, context), m.container_path,
                     m.read_only);
  }
  std::set<std::string> visited{c.name};
  add_volumes_from(task, c, context, false, visited, mounts, targets);
  for (const Tmpfs& t : c.linux_parameters.tmpfs) {
    if (targets.insert(t.container_path).second) mounts.push_back(tmpfs_mount(t));
  }
  // A mount on /dev/shm replaces the bundle's 64 MiB default.
  if (task.ipc_mode == NamespaceMode::Host) {
    mounts.push_back({.destination = "/dev/shm", .source = "/dev/shm"});
  } else if (c.linux_parameters.shared_memory_size_mib) {
    mounts.push_back(
        {.destination = "/dev/shm",
         .source = "shm",
         .type = "tmpfs",
         .options = {"nosuid", "noexec", "nodev", "mode=1777",
                     "size=" + std::to_string(*c.linux_parameters.shared_memory_size_mib) + "m"}});
  }
  return mounts;
}

// "containerDefinitions[2]", for errors found at bundle time.
std::string container_field(const TaskDefinition& task, const ContainerDefinition& c) {
  for (std::size_t i = 0; i < task.containers.size(); ++i) {
    if (task.containers[i].name == c.name) return "containerDefinitions[" + std::to_string(i) + "]";
  }
  return "containerDefinitions[" + c.name + "]";
}

// privileged: every host node; then linuxParameters.devices, which win on the same path.
std::vector<image::BundleDevice> make_devices(const TaskDefinition& task,
                                              const ContainerDefinition& c) {
  std::vector<image::BundleDevice> out;
  if (c.privileged) out = all_host_devices();
  const auto& mapped = c.linux_parameters.devices;
  for (std::size_t k = 0; k < mapped.size(); ++k) {
    const std::string field =
        container_field(task, c) + ".linuxParameters.devices[" + std::to_string(k) + "].hostPath";
    image::BundleDevice d =
        host_device(mapped[k].host_path, mapped[k].container_path, mapped[k].access, field);
    std::erase_if(out, [&](const image::BundleDevice& e) { return e.path == d.path; });
    out.push_back(std::move(d));
  }
  return out;
}

std::uint64_t rlimit_value(std::int64_t v) {
  return v == kUlimitUnlimited ? kUnlimitedRlimit : static_cast<std::uint64_t>(v);
}

}  // namespace

image::BundleOverrides container_overrides(const TaskDefinition& task, const ContainerDefinition& c,
                                           const OverrideContext& context) {
  image::BundleOverrides o;
  o.entrypoint = c.entry_point;
  o.command = c.command;
  for (const EnvVar& v : context.file_environment) o.env.push_back(v.name + "=" + v.value);
  for (const EnvVar& v : c.environment) o.env.push_back(v.name + "=" + v.value);
  o.working_dir = c.working_directory;
  o.user = c.user;
  if (!context.hostname.empty()) o.hostname = context.hostname;
  o.readonly_rootfs = c.readonly_root_filesystem;
  o.cap_add = c.linux_parameters.cap_add;
  o.cap_drop = c.linux_parameters.cap_drop;
  o.privileged = c.privileged;
  // Docker's default, which ECS definitions are written for: setuid binaries work unless
  // dockerSecurityOptions asks for no-new-privileges.
  o.no_new_privileges = c.no_new_privileges;
  o.devices = make_devices(task, c);
  o.mounts = make_mounts(task, c, context);

  const cgroups::Resources r = container_resources(c);
  o.memory_limit = r.memory_limit;
  o.memory_reservation = r.memory_reservation;
  o.cpu_shares = r.cpu_shares;
  o.cgroups_path = context.cgroups_path;

  if (c.disable_networking) {
    o.network_ns_path = context.loopback_ns_path;  // even in host mode: no network at all
  } else if (task.network_mode == NetworkMode::Host) {
    o.host_namespaces.push_back("network");
  } else {
    o.network_ns_path = context.network_ns_path;
  }
  if (task.pid_mode == NamespaceMode::Host) o.host_namespaces.push_back("pid");
  if (task.pid_mode == NamespaceMode::Task && !context.pid_ns_path.empty()) {
    o.join_namespaces["pid"] = context.pid_ns_path;
  }
  if (task.ipc_mode == NamespaceMode::Host) o.host_namespaces.push_back("ipc");
  if (task.ipc_mode == NamespaceMode::Task && !context.ipc_ns_path.empty()) {
    o.join_namespaces["ipc"] = context.ipc_ns_path;
  }

  for (const Ulimit& u : c.ulimits) {
    o.rlimits.push_back({.type = std::string(*rlimit_to_name(u.resource)),
                         .soft = rlimit_value(u.soft),
                         .hard = rlimit_value(u.hard)});
  }
  o.annotations = c.docker_labels;
  return o;
}

cgroups::Resources task_resources(const TaskDefinition& task) {
  cgroups::EcsLimits ecs;
  ecs.cpu_hard = task.cpu;
  ecs.memory_mib = task.memory_mib;
  return cgroups::from_ecs(ecs);
}

cgroups::Resources container_resources(const ContainerDefinition& c) {
  cgroups::EcsLimits ecs;
  ecs.cpu = c.cpu;
  ecs.memory_mib = c.memory_mib;
  ecs.reservation_mib = c.memory_reservation_mib;
  return cgroups::from_ecs(ecs);
}

}  // namespace skiff::agent
