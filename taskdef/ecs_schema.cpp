#include "taskdef/ecs_schema.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <vector>

namespace skiff::taskdef::detail {
namespace {

using sv = std::string_view;

// From the ECS API reference (TaskDefinition, ContainerDefinition and the types they hold),
// output-only members included: describe-task-definition output is a valid input here.
constexpr std::array kDescribeOutput{sv{"taskDefinition"}, sv{"tags"}};
constexpr std::array kTaskDefinition{
    sv{"family"}, sv{"taskRoleArn"}, sv{"executionRoleArn"}, sv{"networkMode"},
    sv{"containerDefinitions"}, sv{"volumes"}, sv{"placementConstraints"},
    sv{"requiresCompatibilities"}, sv{"cpu"}, sv{"memory"}, sv{"tags"}, sv{"pidMode"},
    sv{"ipcMode"}, sv{"proxyConfiguration"}, sv{"inferenceAccelerators"}, sv{"ephemeralStorage"},
    sv{"runtimePlatform"}, sv{"enableFaultInjection"},
    // describe output
    sv{"taskDefinitionArn"}, sv{"revision"}, sv{"status"}, sv{"requiresAttributes"},
    sv{"compatibilities"}, sv{"registeredAt"}, sv{"deregisteredAt"}, sv{"registeredBy"}};
constexpr std::array kContainerDefinition{sv{"name"},
                                          sv{"image"},
                                          sv{"repositoryCredentials"},
                                          sv{"cpu"},
                                          sv{"memory"},
                                          sv{"memoryReservation"},
                                          sv{"links"},
                                          sv{"portMappings"},
                                          sv{"essential"},
                                          sv{"restartPolicy"},
                                          sv{"entryPoint"},
                                          sv{"command"},
                                          sv{"environment"},
                                          sv{"environmentFiles"},
                                          sv{"mountPoints"},
                                          sv{"volumesFrom"},
                                          sv{"linuxParameters"},
                                          sv{"secrets"},
                                          sv{"dependsOn"},
                                          sv{"startTimeout"},
                                          sv{"stopTimeout"},
                                          sv{"versionConsistency"},
                                          sv{"hostname"},
                                          sv{"user"},
                                          sv{"workingDirectory"},
                                          sv{"disableNetworking"},
                                          sv{"privileged"},
                                          sv{"readonlyRootFilesystem"},
                                          sv{"dnsServers"},
                                          sv{"dnsSearchDomains"},
                                          sv{"extraHosts"},
                                          sv{"dockerSecurityOptions"},
                                          sv{"interactive"},
                                          sv{"pseudoTerminal"},
                                          sv{"dockerLabels"},
                                          sv{"ulimits"},
                                          sv{"logConfiguration"},
                                          sv{"healthCheck"},
                                          sv{"systemControls"},
                                          sv{"resourceRequirements"},
                                          sv{"firelensConfiguration"},
                                          sv{"credentialSpecs"}};
constexpr std::array kKeyValuePair{sv{"name"}, sv{"value"}};
constexpr std::array kEnvironmentFile{sv{"value"}, sv{"type"}};
constexpr std::array kPortMapping{sv{"containerPort"}, sv{"hostPort"},    sv{"protocol"},
                                  sv{"name"},          sv{"appProtocol"}, sv{"containerPortRange"},
                                  sv{"hostPortRange"}};
constexpr std::array kMountPoint{sv{"sourceVolume"}, sv{"containerPath"}, sv{"readOnly"}};
constexpr std::array kVolumeFrom{sv{"sourceContainer"}, sv{"readOnly"}};
constexpr std::array kHealthCheck{sv{"command"}, sv{"interval"}, sv{"timeout"}, sv{"retries"},
                                  sv{"startPeriod"}};
constexpr std::array kContainerDependency{sv{"containerName"}, sv{"condition"}};
constexpr std::array kLinuxParameters{
    sv{"capabilities"}, sv{"devices"}, sv{"initProcessEnabled"}, sv{"sharedMemorySize"},
    sv{"tmpfs"},        sv{"maxSwap"}, sv{"swappiness"}};
constexpr std::array kKernelCapabilities{sv{"add"}, sv{"drop"}};
constexpr std::array kDevice{sv{"hostPath"}, sv{"containerPath"}, sv{"permissions"}};
constexpr std::array kTmpfs{sv{"containerPath"}, sv{"size"}, sv{"mountOptions"}};
constexpr std::array kUlimit{sv{"name"}, sv{"softLimit"}, sv{"hardLimit"}};
constexpr std::array kRestartPolicy{sv{"enabled"}, sv{"ignoredExitCodes"},
                                    sv{"restartAttemptPeriod"}};
constexpr std::array kLogConfiguration{sv{"logDriver"}, sv{"options"}, sv{"secretOptions"}};
constexpr std::array kVolume{sv{"name"},
                             sv{"host"},
                             sv{"dockerVolumeConfiguration"},
                             sv{"efsVolumeConfiguration"},
                             sv{"fsxWindowsFileServerVolumeConfiguration"},
                             sv{"configuredAtLaunch"}};
constexpr std::array kHostVolume{sv{"sourcePath"}};
constexpr std::array kDockerVolumeConfiguration{sv{"scope"}, sv{"autoprovision"}, sv{"driver"},
                                                sv{"driverOpts"}, sv{"labels"}};
constexpr std::array kPlacementConstraint{sv{"type"}, sv{"expression"}};
constexpr std::array kRuntimePlatform{sv{"cpuArchitecture"}, sv{"operatingSystemFamily"}};
constexpr std::array kTag{sv{"key"}, sv{"value"}};

char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

// Levenshtein distance, case-insensitive (names are short: at most a few dozen bytes are
// compared, and longer names are cut, since nothing in the schema is that long).
std::size_t distance(std::string_view a, std::string_view b) {
  a = a.substr(0, 64);
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      const std::size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + cost});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

std::span<const std::string_view> ecs_members(EcsObject object) {
  switch (object) {
    case EcsObject::kDescribeOutput:
      return kDescribeOutput;
    case EcsObject::kTaskDefinition:
      return kTaskDefinition;
    case EcsObject::kContainerDefinition:
      return kContainerDefinition;
    case EcsObject::kKeyValuePair:
      return kKeyValuePair;
    case EcsObject::kEnvironmentFile:
      return kEnvironmentFile;
    case EcsObject::kPortMapping:
      return kPortMapping;
    case EcsObject::kMountPoint:
      return kMountPoint;
    case EcsObject::kVolumeFrom:
      return kVolumeFrom;
    case EcsObject::kHealthCheck:
      return kHealthCheck;
    case EcsObject::kContainerDependency:
      return kContainerDependency;
    case EcsObject::kLinuxParameters:
      return kLinuxParameters;
    case EcsObject::kKernelCapabilities:
      return kKernelCapabilities;
    case EcsObject::kDevice:
      return kDevice;
    case EcsObject::kTmpfs:
      return kTmpfs;
    case EcsObject::kUlimit:
      return kUlimit;
    case EcsObject::kRestartPolicy:
      return kRestartPolicy;
    case EcsObject::kLogConfiguration:
      return kLogConfiguration;
    case EcsObject::kVolume:
      return kVolume;
    case EcsObject::kHostVolume:
      return kHostVolume;
    case EcsObject::kDockerVolumeConfiguration:
      return kDockerVolumeConfiguration;
    case EcsObject::kPlacementConstraint:
      return kPlacementConstraint;
    case EcsObject::kRuntimePlatform:
      return kRuntimePlatform;
    case EcsObject::kTag:
      return kTag;
  }
  return {};
}

std::string nearest_member(std::string_view name, std::span<const std::string_view> names) {
  // At most a third of the shorter of the two names, and at least 2 edits: "commnd" ->
  // "command", "enviroment" -> "environment", "Image" -> "image"; an unrelated word, or
  // one far longer than any member, gets no suggestion.
  std::string_view best;
  for (std::size_t best_distance = SIZE_MAX; const std::string_view candidate : names) {
    const std::size_t d = distance(name, candidate);
    const std::size_t allowed =
        std::max<std::size_t>(2, std::min(name.size(), candidate.size()) / 3);
    if (d <= allowed && d < best_distance) {
      best = candidate;
      best_distance = d;
    }
  }
  return std::string(best);
}

}  // namespace skiff::taskdef::detail
