// Every validation rule, each with the exact path and message it reports.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>

#include "tests/taskdef/taskdef_test_util.h"

namespace skiff::taskdef {
namespace {

using test::error_of;
using test::json;
using test::minimal;

struct Case {
  const char* name;
  std::function<void(json&)> edit;
  const char* expected;  // the whole message after "td.json: "
};

// Test names carry the case; without this gtest prints the struct's bytes.
void PrintTo(const Case& c, std::ostream* os) {
  *os << c.name;
}

json& c0(json& j) {
  return j["containerDefinitions"][0];
}

json two_containers() {
  json j = minimal();
  j["containerDefinitions"].push_back({{"name", "side"}, {"image", "busybox"}, {"memory", 32}});
  return j;
}

class TaskDefValidate : public ::testing::TestWithParam<Case> {};

TEST_P(TaskDefValidate, ReportsPathAndRule) {
  json j = two_containers();
  ASSERT_EQ(error_of(j), "(no error)");
  GetParam().edit(j);
  EXPECT_EQ(error_of(j), GetParam().expected);
}

json& c1(json& j) {
  return j["containerDefinitions"][1];
}

const Case kCases[] = {
    // Types.
    {"MemoryWrongType", [](json& j) { c0(j)["memory"] = "64"; },
     "containerDefinitions[0].memory: expected an integer, got string"},
    {"CommandWrongType", [](json& j) { c1(j)["command"] = "sh -c x"; },
     "containerDefinitions[1].command: expected an array, got string"},
    {"CommandElementType",
     [](json& j) {
       c1(j)["command"] = {"sh", 1};
     },
     "containerDefinitions[1].command[1]: expected a string, got number"},
    {"EssentialType", [](json& j) { c0(j)["essential"] = "yes"; },
     "containerDefinitions[0].essential: expected a boolean, got string"},
    {"ContainerNotObject", [](json& j) { j["containerDefinitions"][1] = "side"; },
     "containerDefinitions[1]: expected an object, got string"},
    {"EnvValueType",
     [](json& j) {
       c0(j)["environment"] = {{{"name", "A"}, {"value", 1}}};
     },
     "containerDefinitions[0].environment[0].value: expected a string, got number"},
    {"LabelValueType",
     [](json& j) {
       c0(j)["dockerLabels"] = {{"a", 1}};
     },
     "containerDefinitions[0].dockerLabels.a: expected a string, got number"},
    // Required fields and names.
    {"MissingImage", [](json& j) { c1(j).erase("image"); },
     "containerDefinitions[1].image: is required"},
    {"EmptyImage", [](json& j) { c1(j)["image"] = ""; },
     "containerDefinitions[1].image: must not be empty"},
    {"MissingName", [](json& j) { c1(j).erase("name"); },
     "containerDefinitions[1].name: is required"},
    {"DuplicateName", [](json& j) { c1(j)["name"] = "app"; },
     "containerDefinitions[1].name: duplicate container name \"app\" (also "
     "containerDefinitions[0])"},
    {"InvalidName", [](json& j) { c1(j)["name"] = "side car"; },
     "containerDefinitions[1].name: \"side car\" may contain only letters, digits, '-' and '_'"},
    {"LongName", [](json& j) { c1(j)["name"] = std::string(256, 'a'); },
     "containerDefinitions[1].name: must be 1..255 characters, got 256"},
    {"MissingFamily", [](json& j) { j.erase("family"); }, "family: is required"},
    {"NoContainers", [](json& j) { j["containerDefinitions"] = json::array(); },
     "containerDefinitions: must list at least one container"},
    {"TooManyContainers",
     [](json& j) {
       for (int i = 0; i < 9; ++i) {
         j["containerDefinitions"].push_back(
             {{"name", std::string(1, static_cast<char>('a' + i))}, {"image", "i"}, {"memory", 8}});
       }
     },
     "containerDefinitions: at most 10 containers (as in ECS), got 11"},
    {"NoEssential",
     [](json& j) {
       c0(j)["essential"] = false;
       c1(j)["essential"] = false;
     },
     "containerDefinitions: at least one container must be essential"},
    // Network mode.
    {"Bridge", [](json& j) { j["networkMode"] = "bridge"; },
     "networkMode: \"bridge\" is not supported yet (it comes with CNI networking); use \"host\""},
    {"UnknownNetworkMode", [](json& j) { j["networkMode"] = "nat"; },
     "networkMode: must be \"host\" or \"none\", got \"nat\""},
    {"PidModeNone", [](json& j) { j["pidMode"] = "none"; },
     "pidMode: must be \"host\" or \"task\", got \"none\""},
    {"IpcModeBad", [](json& j) { j["ipcMode"] = "shareable"; },
     "ipcMode: must be \"host\", \"task\" or \"none\", got \"shareable\""},
    // Memory and cpu.
    {"MemoryBelowReservation", [](json& j) { c0(j)["memoryReservation"] = 128; },
     "containerDefinitions[0].memoryReservation: must not exceed memory (128 > 64 MiB)"},
    {"MemoryTooSmall", [](json& j) { c0(j)["memory"] = 4; },
     "containerDefinitions[0].memory: must be 6..1073741824, got 4"},
    {"NoMemoryAnywhere", [](json& j) { c1(j).erase("memory"); },
     "containerDefinitions[1]: give memory or memoryReservation (or a task-level memory)"},
    {"ContainerAboveTaskMemory", [](json& j) { j["memory"] = "48"; },
     "containerDefinitions[0].memory: exceeds the task's memory (64 > 48 MiB)"},
    {"ReservationSumAboveTaskMemory",
     [](json& j) {
       j["memory"] = "80";
       c1(j)["memoryReservation"] = 20;
     },
     "memory: containers reserve 84 MiB in total, more than the task's 80 MiB"},
    {"ContainerCpuAboveTask",
     [](json& j) {
       j["cpu"] = "256";
       c0(j)["cpu"] = 512;
     },
     "containerDefinitions[0].cpu: exceeds the task's cpu (512 > 256 units)"},
    {"CpuSumAboveTask",
     [](json& j) {
       j["cpu"] = "256";
       c0(j)["cpu"] = 200;
       c1(j)["cpu"] = 100;
     },
     "cpu: containers ask for 300 cpu units in total, more than the task's 256"},
    {"TaskCpuTooSmall", [](json& j) { j["cpu"] = "0.1 vCPU"; },
     "cpu: \"0.1 vCPU\" is not a whole number of units"},
    // Ports.
    {"PortZero",
     [](json& j) {
       c0(j)["portMappings"] = {{{"containerPort", 0}}};
     },
     "containerDefinitions[0].portMappings[0].containerPort: must be 1..65535, got 0"},
    {"PortTooBig",
     [](json& j) {
       c0(j)["portMappings"] = {{{"containerPort", 70000}}};
     },
     "containerDefinitions[0].portMappings[0].containerPort: must be 1..65535, got 70000"},
    {"HostPortMismatch",
     [](json& j) {
       c0(j)["portMappings"] = {{{"containerPort", 80}, {"hostPort", 8080}}};
     },
     "containerDefinitions[0].portMappings[0].hostPort: must equal containerPort (80) in host "
     "network mode, got 8080"},
    {"BadProtocol",
     [](json& j) {
       c0(j)["portMappings"] = {{{"containerPort", 80}, {"protocol", "sctp"}}};
     },
     "containerDefinitions[0].portMappings[0].protocol: must be \"tcp\" or \"udp\", got \"sctp\""},
    {"DuplicateHostPort",
     [](json& j) {
       c0(j)["portMappings"] = {{{"containerPort", 80}}};
       c1(j)["portMappings"] = {{{"containerPort", 443}},
                                {{"containerPort", 80}, {"hostPort", 80}}};
     },
     "containerDefinitions[1].portMappings[1].hostPort: port 80/tcp is already mapped by "
     "containerDefinitions[0].portMappings[0]"},
    {"PortsInNoneMode",
     [](json& j) {
       j["networkMode"] = "none";
       c0(j)["portMappings"] = {{{"containerPort", 80}}};
     },
     "containerDefinitions[0].portMappings: port mappings need a network; networkMode \"none\" "
     "has none"},
    // Volumes and mounts.
    {"UnknownVolume",
     [](json& j) {
       c1(j)["mountPoints"] = {{{"sourceVolume", "data"}, {"containerPath", "/d"}}};
     },
     "containerDefinitions[1].mountPoints[0].sourceVolume: unknown volume \"data\" (not in "
     "volumes)"},
    {"RelativeContainerPath",
     [](json& j) {
       j["volumes"] = {{{"name", "data"}}};
       c1(j)["mountPoints"] = {{{"sourceVolume", "data"}, {"containerPath", "data"}}};
     },
     "containerDefinitions[1].mountPoints[0].containerPath: must be an absolute path, got "
     "\"data\""},
    {"DuplicateMountTarget",
     [](json& j) {
       j["volumes"] = {{{"name", "a"}}, {{"name", "b"}}};
       c0(j)["mountPoints"] = {{{"sourceVolume", "a"}, {"containerPath", "/d"}},
                               {{"sourceVolume", "b"}, {"containerPath", "/d"}}};
     },
     "containerDefinitions[0].mountPoints[1].containerPath: \"/d\" is already mounted by "
     "containerDefinitions[0].mountPoints[0].containerPath"},
    {"DuplicateVolume",
     [](json& j) {
       j["volumes"] = {{{"name", "a"}}, {{"name", "a"}}};
     },
     "volumes[1].name: duplicate volume name \"a\" (also volumes[0])"},
    {"RelativeHostPath",
     [](json& j) {
       j["volumes"] = {{{"name", "a"}, {"host", {{"sourcePath", "srv"}}}}};
     },
     "volumes[0].host.sourcePath: must be an absolute path, got \"srv\""},
    {"SharedDockerVolume",
     [](json& j) {
       j["volumes"] = {{{"name", "a"}, {"dockerVolumeConfiguration", {{"scope", "shared"}}}}};
     },
     "volumes[0].dockerVolumeConfiguration.scope: only \"task\" scoped Docker volumes are "
     "supported (as scratch space), got \"shared\""},
    {"EfsVolume",
     [](json& j) {
       j["volumes"] = {{{"name", "a"}, {"efsVolumeConfiguration", {{"fileSystemId", "fs-1"}}}}};
     },
     "volumes[0].efsVolumeConfiguration: this volume type is not supported"},
    {"VolumesFromUnknown",
     [](json& j) {
       c1(j)["volumesFrom"] = {{{"sourceContainer", "db"}}};
     },
     "containerDefinitions[1].volumesFrom[0].sourceContainer: unknown container \"db\""},
    {"VolumesFromSelf",
     [](json& j) {
       c1(j)["volumesFrom"] = {{{"sourceContainer", "side"}}};
     },
     "containerDefinitions[1].volumesFrom[0].sourceContainer: a container cannot take volumes "
     "from itself"},
    {"RelativeWorkingDirectory", [](json& j) { c0(j)["workingDirectory"] = "srv"; },
     "containerDefinitions[0].workingDirectory: must be an absolute path, got \"srv\""},
    // Health check.
    {"HealthRetries",
     [](json& j) {
       c1(j)["healthCheck"] = {{"command", {"CMD", "true"}}, {"retries", 0}};
     },
     "containerDefinitions[1].healthCheck.retries: must be 1..10, got 0"},
    {"HealthInterval",
     [](json& j) {
       c1(j)["healthCheck"] = {{"command", {"CMD", "true"}}, {"interval", 301}};
     },
     "containerDefinitions[1].healthCheck.interval: must be 5..300, got 301"},
    {"HealthTimeout",
     [](json& j) {
       c1(j)["healthCheck"] = {{"command", {"CMD", "true"}}, {"timeout", 1}};
     },
     "containerDefinitions[1].healthCheck.timeout: must be 2..120, got 1"},
    {"HealthTimeoutMax",
     [](json& j) {
       c1(j)["healthCheck"] = {{"command", {"CMD", "true"}}, {"timeout", 121}};
     },
     "containerDefinitions[1].healthCheck.timeout: must be 2..120, got 121"},
    {"HealthStartPeriod",
     [](json& j) {
       c1(j)["healthCheck"] = {{"command", {"CMD", "true"}}, {"startPeriod", 301}};
     },
     "containerDefinitions[1].healthCheck.startPeriod: must be 0..300, got 301"},
    {"HealthCommandKind",
     [](json& j) {
       c1(j)["healthCheck"] = {{"command", {"curl", "x"}}};
     },
     "containerDefinitions[1].healthCheck.command[0]: must be \"CMD\" or \"CMD-SHELL\", got "
     "\"curl\""},
    {"HealthShellArity",
     [](json& j) {
       c1(j)["healthCheck"] = {{"command", {"CMD-SHELL", "a", "b"}}};
     },
     "containerDefinitions[1].healthCheck.command: \"CMD-SHELL\" takes exactly one shell command "
     "string after it"},
    {"HealthMissingCommand",
     [](json& j) {
       c1(j)["healthCheck"] = {{"interval", 10}};
     },
     "containerDefinitions[1].healthCheck.command: is required"},
    // Timeouts.
    {"StopTimeoutMax", [](json& j) { c0(j)["stopTimeout"] = 121; },
     "containerDefinitions[0].stopTimeout: must be 0..120, got 121"},
    {"StartTimeoutMin", [](json& j) { c0(j)["startTimeout"] = 1; },
     "containerDefinitions[0].startTimeout: must be 2..120, got 1"},
    {"StartTimeoutMax", [](json& j) { c0(j)["startTimeout"] = 121; },
     "containerDefinitions[0].startTimeout: must be 2..120, got 121"},
    // dependsOn.
    {"DependsOnUnknown",
     [](json& j) {
       c0(j)["dependsOn"] = {{{"containerName", "db"}, {"condition", "START"}}};
     },
     "containerDefinitions[0].dependsOn[0].containerName: unknown container \"db\""},
    {"DependsOnSelf",
     [](json& j) {
       c0(j)["dependsOn"] = {{{"containerName", "app"}, {"condition", "START"}}};
     },
     "containerDefinitions[0].dependsOn[0].containerName: a container cannot depend on itself"},
    {"DependsOnBadCondition",
     [](json& j) {
       c0(j)["dependsOn"] = {{{"containerName", "side"}, {"condition", "READY"}}};
     },
     "containerDefinitions[0].dependsOn[0].condition: must be START, COMPLETE, SUCCESS or "
     "HEALTHY, got \"READY\""},
    {"HealthyNeedsHealthCheck",
     [](json& j) {
       c0(j)["dependsOn"] = {{{"containerName", "side"}, {"condition", "HEALTHY"}}};
     },
     "containerDefinitions[0].dependsOn[0].condition: HEALTHY needs a healthCheck on \"side\""},
    {"SuccessNeedsNonEssential",
     [](json& j) {
       c0(j)["dependsOn"] = {{{"containerName", "side"}, {"condition", "SUCCESS"}}};
     },
     "containerDefinitions[0].dependsOn[0].condition: COMPLETE and SUCCESS need \"side\" to be "
     "non-essential (it is meant to exit)"},
    {"CompleteNeedsNonEssential",
     [](json& j) {
       c1(j)["dependsOn"] = {{{"containerName", "app"}, {"condition", "COMPLETE"}}};
     },
     "containerDefinitions[1].dependsOn[0].condition: COMPLETE and SUCCESS need \"app\" to be "
     "non-essential (it is meant to exit)"},
    {"Cycle",
     [](json& j) {
       c0(j)["dependsOn"] = {{{"containerName", "side"}, {"condition", "START"}}};
       c1(j)["dependsOn"] = {{{"containerName", "app"}, {"condition", "START"}}};
     },
     "dependsOn cycle: app -> side -> app"},
    // Environment files.
    {"EnvFileS3",
     [](json& j) {
       c0(j)["environmentFiles"] = {{{"value", "arn:aws:s3:::b/x.env"}, {"type", "s3"}}};
     },
     "containerDefinitions[0].environmentFiles[0].type: s3 environment files are not supported: "
     "give a local absolute path and no type"},
    {"EnvFileRelative",
     [](json& j) {
       c0(j)["environmentFiles"] = {{{"value", "x.env"}}};
     },
     "containerDefinitions[0].environmentFiles[0].value: must be an absolute path, got \"x.env\""},
    // linuxParameters, ulimits, restart policy, logging.
    {"UnknownCapability",
     [](json& j) {
       c0(j)["linuxParameters"] = {{"capabilities", {{"add", {"FLY"}}}}};
     },
     "containerDefinitions[0].linuxParameters.capabilities.add[0]: unknown capability \"FLY\""},
    {"TmpfsOption",
     [](json& j) {
       c0(j)["linuxParameters"] = {
           {"tmpfs", {{{"containerPath", "/t"}, {"size", 8}, {"mountOptions", {"exec,suid"}}}}}};
     },
     "containerDefinitions[0].linuxParameters.tmpfs[0].mountOptions[0]: unknown tmpfs mount "
     "option \"exec,suid\""},
    {"TmpfsSize",
     [](json& j) {
       c0(j)["linuxParameters"] = {{"tmpfs", {{{"containerPath", "/t"}, {"size", 0}}}}};
     },
     "containerDefinitions[0].linuxParameters.tmpfs[0].size: must be 1..1073741824, got 0"},
    {"UlimitName",
     [](json& j) {
       c0(j)["ulimits"] = {{{"name", "as"}, {"softLimit", 1}, {"hardLimit", 1}}};
     },
     "containerDefinitions[0].ulimits[0].name: unknown ulimit \"as\""},
    {"UlimitOrder",
     [](json& j) {
       c0(j)["ulimits"] = {{{"name", "nofile"}, {"softLimit", 10}, {"hardLimit", 5}}};
     },
     "containerDefinitions[0].ulimits[0]: softLimit 10 is above hardLimit 5"},
    {"RestartPeriod",
     [](json& j) {
       c0(j)["restartPolicy"] = {{"enabled", true}, {"restartAttemptPeriod", 59}};
     },
     "containerDefinitions[0].restartPolicy.restartAttemptPeriod: must be 60..1800, got 59"},
    {"RestartTooManyCodes",
     [](json& j) {
       c0(j)["restartPolicy"] = {{"enabled", true},
                                 {"ignoredExitCodes", json(std::vector<int>(51, 1))}};
     },
     "containerDefinitions[0].restartPolicy.ignoredExitCodes: at most 50 exit codes, got 51"},
    {"RestartNeedsEnabled", [](json& j) { c0(j)["restartPolicy"] = json::object(); },
     "containerDefinitions[0].restartPolicy.enabled: is required"},
    {"LogDriverUnsupported",
     [](json& j) {
       c1(j)["logConfiguration"] = {{"logDriver", "splunk"}};
     },
     "containerDefinitions[1].logConfiguration.logDriver: log driver \"splunk\" is not supported "
     "(use json-file, local or journald)"},
    {"LogMaxSizeHuge",
     [](json& j) {
       c1(j)["logConfiguration"] = {{"logDriver", "local"},
                                    {"options", {{"max-size", "99999999999999999999m"}}}};
     },
     "containerDefinitions[1].logConfiguration.options.max-size: size \"99999999999999999999m\" "
     "is too large"},
    {"LogMaxSizeUnit",
     [](json& j) {
       c1(j)["logConfiguration"] = {{"logDriver", "local"}, {"options", {{"max-size", "5q"}}}};
     },
     "containerDefinitions[1].logConfiguration.options.max-size: size '5q': unknown unit 'q' (use "
     "k, m or g)"},
    {"LogMaxFile",
     [](json& j) {
       c1(j)["logConfiguration"] = {{"logDriver", "json-file"}, {"options", {{"max-file", "x"}}}};
     },
     "containerDefinitions[1].logConfiguration.options.max-file: must be a number of files "
     "1..1000, got \"x\""},
};

INSTANTIATE_TEST_SUITE_P(Rules, TaskDefValidate, ::testing::ValuesIn(kCases),
                         [](const auto& p) { return std::string(p.param.name); });

TEST(TaskDefValidateValid, HostPortZeroOrEqualIsAccepted) {
  json j = minimal();
  c0(j)["portMappings"] = {{{"containerPort", 80}, {"hostPort", 0}},
                           {{"containerPort", 80}, {"protocol", "udp"}},
                           {{"containerPort", 81}, {"hostPort", 81}}};
  const TaskDefinition t = test::parse(j);
  EXPECT_EQ(t.containers[0].port_mappings[0].host_port, 80);
  EXPECT_EQ(t.containers[0].port_mappings[2].host_port, 81);
}

TEST(TaskDefValidateValid, HealthyDependencyWithHealthCheck) {
  json j = two_containers();
  c1(j)["healthCheck"] = {{"command", {"CMD-SHELL", "true"}}};
  c1(j)["essential"] = false;
  c0(j)["dependsOn"] = {{{"containerName", "side"}, {"condition", "HEALTHY"}},
                        {{"containerName", "side"}, {"condition", "SUCCESS"}}};
  EXPECT_EQ(error_of(j), "(no error)");
}

}  // namespace
}  // namespace skiff::taskdef
