// The member names ECS's task-definition schema defines, per kind of object (the
// RegisterTaskDefinition and DescribeTaskDefinition API shapes). A name outside its
// object's list is a misspelling and is refused, naming the nearest valid name, as the AWS
// CLI's parameter validation does; a listed name Skiff does not implement is only warned
// about.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace skiff::taskdef::detail {

enum class EcsObject {
  kDescribeOutput,  // {"taskDefinition": ..., "tags": ...}
  kTaskDefinition,
  kContainerDefinition,
  kKeyValuePair,  // environment[]
  kEnvironmentFile,
  kPortMapping,
  kMountPoint,
  kVolumeFrom,
  kHealthCheck,
  kContainerDependency,
  kLinuxParameters,
  kKernelCapabilities,
  kDevice,
  kTmpfs,
  kUlimit,
  kRestartPolicy,
  kLogConfiguration,
  kVolume,
  kHostVolume,
  kDockerVolumeConfiguration,
  kPlacementConstraint,
  kRuntimePlatform,
  kTag,
};

std::span<const std::string_view> ecs_members(EcsObject object);

// The listed name closest to `name` (edit distance, case-insensitive), or "" when none is
// close enough to be a plausible misspelling.
std::string nearest_member(std::string_view name, std::span<const std::string_view> names);

}  // namespace skiff::taskdef::detail
