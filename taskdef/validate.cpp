// Rules that span fields or containers, checked after every field has its type and range.
// Each message starts with the JSON path of the field to fix.
#include <map>
#include <set>

#include "common/error.h"
#include "taskdef/parse_parts.h"

namespace skiff::taskdef::detail {
namespace {

std::string container_path(std::size_t i) {
  return at_index("containerDefinitions", i);
}

void check_names(const TaskDefinition& task) {
  std::map<std::string, std::size_t> seen;
  for (std::size_t i = 0; i < task.containers.size(); ++i) {
    const auto [it, fresh] = seen.emplace(task.containers[i].name, i);
    if (!fresh) {
      fail(container_path(i) + ".name", "duplicate container name \"" + it->first + "\" (also " +
                                            container_path(it->second) + ")");
    }
  }
  std::map<std::string, std::size_t> volumes;
  for (std::size_t i = 0; i < task.volumes.size(); ++i) {
    const auto [it, fresh] = volumes.emplace(task.volumes[i].name, i);
    if (!fresh) {
      fail(at_index("volumes", i) + ".name", "duplicate volume name \"" + it->first + "\" (also " +
                                                 at_index("volumes", it->second) + ")");
    }
  }
}

void check_essential(const TaskDefinition& task) {
  for (const auto& c : task.containers) {
    if (c.essential) return;
  }
  fail("containerDefinitions", "at least one container must be essential");
}

// ECS: a container's hard limit caps its reservation; with a task-level limit every
// container fits in it and the reservations add up to no more than it; without one every
// container needs memory or memoryReservation.
void check_memory(const TaskDefinition& task) {
  std::uint64_t reserved = 0;
  for (std::size_t i = 0; i < task.containers.size(); ++i) {
    const ContainerDefinition& c = task.containers[i];
    const std::string p = container_path(i);
    if (c.memory_mib && c.memory_reservation_mib && *c.memory_reservation_mib > *c.memory_mib) {
      fail(p + ".memoryReservation", "must not exceed memory (" +
                                         std::to_string(*c.memory_reservation_mib) + " > " +
                                         std::to_string(*c.memory_mib) + " MiB)");
    }
    if (!task.memory_mib && !c.memory_mib && !c.memory_reservation_mib) {
      fail(p, "give memory or memoryReservation (or a task-level memory)");
    }
    if (task.memory_mib && c.memory_mib && *c.memory_mib > *task.memory_mib) {
      fail(p + ".memory", "exceeds the task's memory (" + std::to_string(*c.memory_mib) + " > " +
                              std::to_string(*task.memory_mib) + " MiB)");
    }
    if (task.memory_mib && c.memory_reservation_mib &&
        *c.memory_reservation_mib > *task.memory_mib) {
      fail(p + ".memoryReservation", "exceeds the task's memory (" +
                                         std::to_string(*c.memory_reservation_mib) + " > " +
                                         std::to_string(*task.memory_mib) + " MiB)");
    }
    reserved += c.memory_reservation_mib.value_or(c.memory_mib.value_or(0));
  }
  if (task.memory_mib && reserved > *task.memory_mib) {
    fail("memory", "containers reserve " + std::to_string(reserved) +
                       " MiB in total, more than the task's " + std::to_string(*task.memory_mib) +
                       " MiB");
  }
}

void check_cpu(const TaskDefinition& task) {
  if (!task.cpu) return;
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < task.containers.size(); ++i) {
    const auto cpu = task.containers[i].cpu.value_or(0);
    if (cpu > *task.cpu) {
      fail(container_path(i) + ".cpu", "exceeds the task's cpu (" + std::to_string(cpu) + " > " +
                                           std::to_string(*task.cpu) + " units)");
    }
    total += cpu;
  }
  if (total > *task.cpu) {
    fail("cpu", "containers ask for " + std::to_string(total) + " cpu units in total, more than " +
                    "the task's " + std::to_string(*task.cpu));
  }
}

// In host mode every mapping is a port on the host: two mappings of one port clash.
void check_ports(const TaskDefinition& task) {
  std::map<std::pair<int, std::string>, std::string> used;
  for (std::size_t i = 0; i < task.containers.size(); ++i) {
    const auto& ports = task.containers[i].port_mappings;
    if (task.containers[i].disable_networking && !ports.empty()) {
      fail(container_path(i) + ".portMappings",
           "port mappings need a network; disableNetworking leaves the container none");
    }
    for (std::size_t k = 0; k < ports.size(); ++k) {
      const std::string p = at_index(container_path(i) + ".portMappings", k);
      const auto [it, fresh] = used.emplace(std::pair{ports[k].host_port, ports[k].protocol}, p);
      if (!fresh) {
        fail(p + ".hostPort", "port " + std::to_string(ports[k].host_port) + "/" +
                                  ports[k].protocol + " is already mapped by " + it->second);
      }
    }
  }
}

void check_mounts(const TaskDefinition& task) {
  for (std::size_t i = 0; i < task.containers.size(); ++i) {
    const ContainerDefinition& c = task.containers[i];
    std::map<std::string, std::string> targets;  // containerPath -> where it was set
    auto claim = [&](const std::string& target, const std::string& p) {
      const auto [it, fresh] = targets.emplace(target, p);
      if (!fresh) fail(p, "\"" + target + "\" is already mounted by " + it->second);
    };
    for (std::size_t k = 0; k < c.mount_points.size(); ++k) {
      const std::string p = at_index(container_path(i) + ".mountPoints", k);
      if (task.find_volume(c.mount_points[k].source_volume) == nullptr) {
        fail(p + ".sourceVolume",
             "unknown volume \"" + c.mount_points[k].source_volume + "\" (not in volumes)");
      }
      claim(c.mount_points[k].container_path, p + ".containerPath");
    }
    const auto& tmpfs = c.linux_parameters.tmpfs;
    for (std::size_t k = 0; k < tmpfs.size(); ++k) {
      claim(tmpfs[k].container_path,
            at_index(container_path(i) + ".linuxParameters.tmpfs", k) + ".containerPath");
    }
    std::set<std::string> device_paths;
    const auto& devices = c.linux_parameters.devices;
    for (std::size_t k = 0; k < devices.size(); ++k) {
      if (!device_paths.insert(devices[k].container_path).second) {
        fail(at_index(container_path(i) + ".linuxParameters.devices", k) + ".containerPath",
             "\"" + devices[k].container_path + "\" is already a device of this container");
      }
    }
    for (std::size_t k = 0; k < c.volumes_from.size(); ++k) {
      const std::string p = at_index(container_path(i) + ".volumesFrom", k) + ".sourceContainer";
      const std::string& source = c.volumes_from[k].source_container;
      if (source == c.name) fail(p, "a container cannot take volumes from itself");
      if (task.find_container(source) == nullptr) fail(p, "unknown container \"" + source + "\"");
    }
  }
}

void check_dependencies(const TaskDefinition& task) {
  for (std::size_t i = 0; i < task.containers.size(); ++i) {
    const ContainerDefinition& c = task.containers[i];
    for (std::size_t k = 0; k < c.depends_on.size(); ++k) {
      const ContainerDependency& d = c.depends_on[k];
      const std::string p = at_index(container_path(i) + ".dependsOn", k);
      const ContainerDefinition* target = task.find_container(d.container_name);
      if (target == nullptr) {
        fail(p + ".containerName", "unknown container \"" + d.container_name + "\"");
      }
      if (target == &c) fail(p + ".containerName", "a container cannot depend on itself");
      if (d.condition == DependencyCondition::Healthy && !target->health_check) {
        fail(p + ".condition", "HEALTHY needs a healthCheck on \"" + target->name + "\"");
      }
      if ((d.condition == DependencyCondition::Complete ||
           d.condition == DependencyCondition::Success) &&
          target->essential) {
        fail(p + ".condition", "COMPLETE and SUCCESS need \"" + target->name +
                                   "\" to be non-essential (it is meant to exit)");
      }
    }
  }
  start_order(task);  // throws on a cycle, naming it
}

}  // namespace

void validate_task(const TaskDefinition& task) {
  check_names(task);
  check_essential(task);
  check_memory(task);
  check_cpu(task);
  check_ports(task);
  check_mounts(task);
  check_dependencies(task);
}

}  // namespace skiff::taskdef::detail
