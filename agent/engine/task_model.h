// The task definition model (taskdef/) under the names the agent's code uses: the engine,
// the API and the connection all speak of TaskDefinition and ContainerDefinition.
#pragma once

#include "taskdef/task_definition.h"

namespace skiff::agent {

using taskdef::ContainerDefinition;
using taskdef::ContainerDependency;
using taskdef::DependencyCondition;
using taskdef::DeviceMapping;
using taskdef::EnvVar;
using taskdef::HealthCheck;
using taskdef::kUlimitUnlimited;
using taskdef::LinuxParameters;
using taskdef::LogConfiguration;
using taskdef::LogDriver;
using taskdef::MountPoint;
using taskdef::NamespaceMode;
using taskdef::NetworkMode;
using taskdef::oci_architecture;
using taskdef::parse_env_file;
using taskdef::parse_task_cpu;
using taskdef::parse_task_definition;
using taskdef::parse_task_memory;
using taskdef::ParseOptions;
using taskdef::PlacementConstraint;
using taskdef::PortMapping;
using taskdef::RestartPolicy;
using taskdef::RuntimePlatform;
using taskdef::start_order;
using taskdef::TaskDefinition;
using taskdef::Tmpfs;
using taskdef::to_string;
using taskdef::Ulimit;
using taskdef::Volume;
using taskdef::VolumeFrom;

}  // namespace skiff::agent
