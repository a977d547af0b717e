// Loading: real describe-task-definition output, the three document shapes, defaults,
// unsupported fields in one warning, units, malformed JSON.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>

#include "tests/taskdef/taskdef_test_util.h"

namespace skiff::taskdef {
namespace {

using test::error_of;
using test::json;
using test::minimal;
using test::parse;
using ::testing::HasSubstr;

const std::string kFixtures = SKIFF_TASKDEF_FIXTURES;

TEST(TaskDefParse, Ec2DescribeOutputLoads) {
  const TaskDefinition t =
      parse_task_definition(test::read_text(kFixtures + "/describe-ec2.json"), "ec2.json");
  EXPECT_EQ(t.family, "edge-metrics");
  EXPECT_EQ(t.revision, 7);
  EXPECT_EQ(t.network_mode, NetworkMode::Host);
  EXPECT_EQ(t.pid_mode, NamespaceMode::Task);
  EXPECT_EQ(t.ipc_mode, NamespaceMode::None);
  EXPECT_EQ(t.tags.at("cost-center"), "edge-42");
  ASSERT_EQ(t.volumes.size(), 2u);
  EXPECT_TRUE(t.volumes[0].scratch());
  EXPECT_EQ(t.volumes[1].host_source_path, "/dev");

  ASSERT_EQ(t.containers.size(), 2u);
  const ContainerDefinition& c = t.containers[0];
  EXPECT_EQ(c.name, "collector");
  EXPECT_EQ(c.cpu, 256u);
  EXPECT_EQ(c.memory_mib, 256u);
  EXPECT_EQ(c.memory_reservation_mib, 128u);
  ASSERT_EQ(c.port_mappings.size(), 1u);
  EXPECT_EQ(c.port_mappings[0].host_port, 9100);
  ASSERT_TRUE(c.entry_point.has_value());
  EXPECT_TRUE(c.entry_point->empty());  // [] clears the image's entrypoint
  EXPECT_EQ(c.environment[1], (EnvVar{"SITE", "plant-7"}));
  EXPECT_EQ(c.mount_points[1].read_only, true);
  EXPECT_EQ(c.linux_parameters.cap_add, std::vector<std::string>{"SYS_PTRACE"});
  EXPECT_TRUE(c.linux_parameters.init_process_enabled);
  EXPECT_EQ(c.linux_parameters.shared_memory_size_mib, 128u);
  ASSERT_EQ(c.linux_parameters.tmpfs.size(), 1u);
  EXPECT_EQ(c.linux_parameters.tmpfs[0].size_mib, 16u);
  EXPECT_EQ(c.stop_timeout, 45);
  EXPECT_TRUE(c.readonly_root_filesystem);
  EXPECT_EQ(c.user, "1000:1000");
  ASSERT_EQ(c.ulimits.size(), 2u);
  EXPECT_EQ(c.ulimits[0].resource, RLIMIT_NOFILE);
  EXPECT_EQ(c.ulimits[1].hard, kUlimitUnlimited);
  EXPECT_EQ(c.docker_labels.at("com.example.tier"), "metrics");
  EXPECT_EQ(c.log_configuration.driver, LogDriver::JsonFile);
  EXPECT_EQ(c.log_configuration.max_size, 10 * 1024 * 1024);
  EXPECT_EQ(c.log_configuration.max_file, 5);
  ASSERT_TRUE(c.health_check.has_value());
  EXPECT_EQ(c.health_check->retries, 4);
  EXPECT_EQ(c.health_check->start_period, 0);  // default
  EXPECT_TRUE(c.restart_policy.enabled);
  EXPECT_EQ(c.restart_policy.restart_attempt_period, 120);
  EXPECT_FALSE(t.containers[1].essential);
  EXPECT_EQ(t.containers[1].stop_timeout, 30);  // the agent default

  // One warning naming every ignored field with its path, and nothing that is read-only or
  // empty; taskRoleArn has its own (no AWS credentials are provided).
  ASSERT_EQ(t.warnings.size(), 2u);
  EXPECT_THAT(t.warnings[0], ::testing::StartsWith("taskRoleArn: "));
  const std::string& w = t.warnings[1];
  EXPECT_THAT(w, HasSubstr("unsupported fields ignored: "));
  EXPECT_THAT(w, ::testing::Not(HasSubstr("linuxParameters.devices")));  // now supported
  ASSERT_EQ(c.linux_parameters.devices.size(), 1u);
  EXPECT_EQ(c.linux_parameters.devices[0].host_path, "/dev/ttyUSB0");
  EXPECT_EQ(c.linux_parameters.devices[0].access, "rw");
  EXPECT_THAT(w, HasSubstr("containerDefinitions[0].secrets"));
  EXPECT_THAT(w, HasSubstr("containerDefinitions[0].logConfiguration.options.labels"));
  EXPECT_THAT(w, HasSubstr("volumes[0].dockerVolumeConfiguration.labels"));
  for (const char* quiet : {"taskDefinitionArn", "requiresAttributes", "links", "dnsServers",
                            "privileged", "taskRoleArn", "registeredAt", "systemControls"}) {
    // (taskRoleArn is not in the unsupported list: it has its own warning above.)
    EXPECT_THAT(w, ::testing::Not(HasSubstr(quiet))) << quiet;
  }
}

TEST(TaskDefParse, FargateDescribeOutputRefusesAwsvpcClearly) {
  const std::string text = test::read_text(kFixtures + "/describe-fargate.json");
  try {
    parse_task_definition(text, "fargate.json");
    FAIL() << "awsvpc accepted";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("fargate.json: networkMode: \"awsvpc\""));
    EXPECT_THAT(e.what(), HasSubstr("use \"host\""));
  }
}

TEST(TaskDefParse, FargateDescribeOutputLoadsInHostModeWithLocalLogs) {
  json doc = json::parse(test::read_text(kFixtures + "/describe-fargate.json"));
  // awslogs is refused by name; a Fargate definition moved to the edge switches both.
  json& td = doc["taskDefinition"];
  json host_only = td;
  host_only["networkMode"] = "host";
  EXPECT_THAT(error_of(host_only),
              HasSubstr("containerDefinitions[0].logConfiguration.logDriver: log driver "
                        "\"awslogs\" is not supported"));
  td["networkMode"] = "host";
  td["containerDefinitions"][0]["logConfiguration"] = {{"logDriver", "local"}};
  const TaskDefinition t = parse_task_definition(doc.dump(), "fargate.json");
  EXPECT_EQ(t.cpu, 512u);          // "0.5 vCPU"
  EXPECT_EQ(t.memory_mib, 1024u);  // "1 GB"
  EXPECT_EQ(t.containers[0].health_check->start_period, 10);
  EXPECT_EQ(t.containers[0].log_configuration.driver, LogDriver::Local);
  ASSERT_EQ(t.warnings.size(), 1u);
  EXPECT_EQ(t.warnings[0],
            "unsupported fields ignored: containerDefinitions[0].portMappings[0].appProtocol, "
            "containerDefinitions[0].portMappings[0].name, ephemeralStorage");
}

TEST(TaskDefParse, BareAndRegisterInputShapes) {
  json bare = minimal();
  EXPECT_EQ(parse(bare).containers[0].name, "app");
  json reg = minimal();
  reg["tags"] = json::array({{{"key", "env"}, {"value", "prod"}}});
  reg["requiresCompatibilities"] = {"EXTERNAL"};
  const TaskDefinition t = parse(reg);
  EXPECT_EQ(t.tags.at("env"), "prod");
  EXPECT_TRUE(t.warnings.empty());
}

TEST(TaskDefParse, DemoExampleLoads) {
  const TaskDefinition t = parse_task_definition(
      test::read_text(std::string(SKIFF_TASKDEF_EXAMPLES) + "/demo-web.json"), "demo-web.json");
  EXPECT_TRUE(t.warnings.empty());
  EXPECT_EQ(start_order(t), (std::vector<std::string>{"content", "web", "probe"}));
  EXPECT_EQ(t.find_container("web")->health_check->command[0], "CMD-SHELL");
}

// docs/task-definition.md shows the example file; the two must not drift apart.
TEST(TaskDefParse, DocExampleMatchesExampleFile) {
  const std::string doc = test::read_text(SKIFF_TASKDEF_DOC);
  const std::size_t section = doc.find("## Example");
  ASSERT_NE(section, std::string::npos);
  const std::size_t begin = doc.find("```json\n", section);
  ASSERT_NE(begin, std::string::npos);
  const std::size_t end = doc.find("```", begin + 8);
  ASSERT_NE(end, std::string::npos);
  const json shown = json::parse(doc.substr(begin + 8, end - begin - 8));
  const json file =
      json::parse(test::read_text(std::string(SKIFF_TASKDEF_EXAMPLES) + "/demo-web.json"));
  EXPECT_EQ(shown, file);
}

TEST(TaskDefParse, Defaults) {
  const TaskDefinition t = parse(minimal());
  const ContainerDefinition& c = t.containers[0];
  EXPECT_EQ(t.network_mode, NetworkMode::Host);
  EXPECT_EQ(t.pid_mode, NamespaceMode::Private);
  EXPECT_TRUE(c.essential);
  EXPECT_EQ(c.stop_timeout, 30);
  EXPECT_FALSE(c.start_timeout.has_value());
  EXPECT_FALSE(c.health_check.has_value());
  EXPECT_FALSE(c.command.has_value());
  EXPECT_FALSE(c.restart_policy.enabled);
  EXPECT_EQ(c.restart_policy.restart_attempt_period, 300);
  EXPECT_EQ(c.log_configuration.driver, LogDriver::JsonFile);
}

TEST(TaskDefParse, StopTimeoutDefaultComesFromOptions) {
  json j = minimal();
  j["containerDefinitions"].push_back(
      {{"name", "b"}, {"image", "x"}, {"memory", 8}, {"stopTimeout", 5}});
  const TaskDefinition t = parse(j, ParseOptions{.default_stop_timeout = 90});
  EXPECT_EQ(t.containers[0].stop_timeout, 90);
  EXPECT_EQ(t.containers[1].stop_timeout, 5);
  EXPECT_THROW(parse(j, ParseOptions{.default_stop_timeout = 121}), Error);
}

TEST(TaskDefParse, HealthCheckDefaults) {
  json j = minimal();
  j["containerDefinitions"][0]["healthCheck"] = {{"command", {"CMD", "true"}}};
  const HealthCheck h = *parse(j).containers[0].health_check;
  EXPECT_EQ(h.interval, 30);
  EXPECT_EQ(h.timeout, 5);
  EXPECT_EQ(h.retries, 3);
  EXPECT_EQ(h.start_period, 0);
}

// docs/task-definition.md, "Where Skiff differs from ECS on purpose": each looser bound
// is accepted here (ECS would refuse it), each stricter one is refused in validate_test.
TEST(TaskDefParse, DocumentedDeviationsFromEcsAreAccepted) {
  json j = minimal();
  j["ipcMode"] = "none";
  j["containerDefinitions"][0]["healthCheck"] = {{"command", {"CMD", "true"}}, {"timeout", 120}};
  j["containerDefinitions"][0]["stopTimeout"] = 0;
  const TaskDefinition t = parse(j);
  EXPECT_EQ(t.containers[0].health_check->timeout, 120);  // ECS: at most 60
  EXPECT_EQ(t.containers[0].stop_timeout, 0);             // 0: SIGKILL at once
  EXPECT_EQ(t.ipc_mode, NamespaceMode::None);
}

TEST(TaskDefParse, RestartPolicyDefaultPeriod) {
  json j = minimal();
  j["containerDefinitions"][0]["restartPolicy"] = {{"enabled", true},
                                                   {"ignoredExitCodes", {0, 143}}};
  const RestartPolicy p = parse(j).containers[0].restart_policy;
  EXPECT_TRUE(p.enabled);
  EXPECT_EQ(p.ignored_exit_codes, (std::vector<int>{0, 143}));
  EXPECT_EQ(p.restart_attempt_period, 300);
}

TEST(TaskDefParse, TaskCpuAndMemoryForms) {
  EXPECT_EQ(parse_task_cpu("256", "cpu"), 256u);
  EXPECT_EQ(parse_task_cpu("1 vCPU", "cpu"), 1024u);
  EXPECT_EQ(parse_task_cpu("0.5 vCPU", "cpu"), 512u);
  EXPECT_EQ(parse_task_cpu("2vcpu", "cpu"), 2048u);
  EXPECT_EQ(parse_task_memory("512", "memory"), 512u);
  EXPECT_EQ(parse_task_memory("1 GB", "memory"), 1024u);
  EXPECT_EQ(parse_task_memory("2GB", "memory"), 2048u);
  EXPECT_EQ(parse_task_memory("0.5 GB", "memory"), 512u);
  json j = minimal();
  j["cpu"] = 1024;
  j["memory"] = 2048;
  EXPECT_EQ(parse(j).cpu, 1024u);
  EXPECT_EQ(parse(j).memory_mib, 2048u);
  EXPECT_THAT(([] {
                try {
                  parse_task_cpu("1 core", "cpu");
                } catch (const Error& e) {
                  return std::string(e.what());
                }
                return std::string();
              }()),
              HasSubstr("cpu: unknown unit \"core\""));
  EXPECT_THROW(parse_task_cpu("64", "cpu"), Error);  // below 128
  EXPECT_THROW(parse_task_cpu("0.0001 vCPU", "cpu"), Error);
  EXPECT_THROW(parse_task_cpu("-1", "cpu"), Error);
  EXPECT_THROW(parse_task_cpu("", "cpu"), Error);
  EXPECT_THROW(parse_task_memory("1 TB", "memory"), Error);
  EXPECT_THROW(parse_task_memory("99999999999999999999", "memory"), Error);
  j["memory"] = "lots";
  EXPECT_THAT(error_of(j), HasSubstr("memory: expected a number or a string such as"));
}

// Found by tests/fuzz (corpus/taskdef/regress-number-overflow): nlohmann reports a number
// too large for a double as out_of_range, not parse_error; it must still be a skiff::Error.
TEST(TaskDefParse, NumberOverflowIsMalformedJson) {
  try {
    parse_task_definition(R"({"family": "x", "cpu": -5E44444444})", "big.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("big.json: malformed JSON"));
  }
}

TEST(TaskDefParse, MalformedJsonNamesLineAndColumn) {
  try {
    parse_task_definition("{\n  \"family\": \"x\",\n  \"containerDefinitions\": [,]\n}",
                          "bad.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("bad.json:3:28: malformed JSON"));
  }
  EXPECT_THAT(([] {
                try {
                  parse_task_definition("[1]", "arr.json");
                } catch (const Error& e) {
                  return std::string(e.what());
                }
                return std::string();
              }()),
              HasSubstr("arr.json: expected a JSON object, got array"));
}

TEST(TaskDefParse, HostileDocumentsFailCleanly) {
  EXPECT_THROW(parse_task_definition(std::string(2 << 20, ' '), "big.json"), Error);
  EXPECT_THROW(parse_task_definition(std::string(100000, '['), "deep.json"), Error);
  EXPECT_THROW(parse_task_definition("", "empty.json"), Error);
  EXPECT_THROW(parse_task_definition(R"({"taskDefinition": 5})", "w.json"), Error);
  json j = minimal();
  j["containerDefinitions"][0]["portMappings"] = {{{"containerPort", 1e300}}};
  EXPECT_THAT(error_of(j), HasSubstr("expected an integer, got a fractional number"));
  j = minimal();
  j["containerDefinitions"][0]["memory"] = 18446744073709551615ull;
  EXPECT_THAT(error_of(j), HasSubstr("containerDefinitions[0].memory: number too large"));
}

}  // namespace
}  // namespace skiff::taskdef
