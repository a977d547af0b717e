// From the task definition to what the lower layers take: image::BundleOverrides for a
// container's config.json, cgroups::Resources for the task's and a container's cgroup.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "agent/engine/task_model.h"
#include "cgroups/resources.h"
#include "image/bundle/bundle.h"

namespace skiff::agent {

// What the engine knows at start time and the task definition cannot.
struct OverrideContext {
  // Host directory of each volume by name. Host volumes default to host.sourcePath; scratch
  // volumes must be listed (the engine creates and removes them with the task).
  std::map<std::string, std::string> volume_paths;
  // Variables read from the container's environmentFiles (parse_env_file), in file order;
  // the definition's `environment` wins over them, as in ECS.
  std::vector<EnvVar> file_environment;
  std::string hostname;      // empty: the bundle's default
  std::string cgroups_path;  // the container's cgroup, beneath the task's
  // networkMode "none": the task's network namespace (empty: a new one per container).
  std::string network_ns_path;
  // disableNetworking: the container's own namespace with loopback up, made by the engine
  // (empty: a new one whose loopback stays down).
  std::string loopback_ns_path;
  // pidMode/ipcMode "task": the namespaces of the task's first container (empty: this
  // container is the first and gets new ones).
  std::string pid_ns_path;
  std::string ipc_ns_path;
};

// Everything the container definition says about its process, mounts, limits and
// namespaces. linuxParameters.initProcessEnabled is not in BundleOverrides: the engine
// puts its init in front of the arguments. Throws skiff::Error naming the field.
// Reads the host: linuxParameters.devices and privileged stat the host's device nodes.
image::BundleOverrides container_overrides(const TaskDefinition& task,
                                           const ContainerDefinition& container,
                                           const OverrideContext& context);

// The task cgroup: task-level cpu as a hard cap, task-level memory as the hard limit.
cgroups::Resources task_resources(const TaskDefinition& task);
// A container cgroup: cpu as shares, memory as limit, memoryReservation as the soft floor.
cgroups::Resources container_resources(const ContainerDefinition& container);

}  // namespace skiff::agent
