// ECS fidelity at the edges of the schema: misspelled members are errors naming the nearest
// valid name; members ECS defines but Skiff does not honour are warnings the user sees;
// placementConstraints and runtimePlatform are read; silent drops get a word.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>

#include "taskdef/ecs_schema.h"
#include "tests/taskdef/taskdef_test_util.h"

namespace skiff::taskdef {
namespace {

using test::error_of;
using test::json;
using test::minimal;
using test::parse;
using ::testing::HasSubstr;

json& c0(json& j) {
  return j["containerDefinitions"][0];
}

std::string all_warnings(const TaskDefinition& t) {
  std::string out;
  for (const auto& w : t.warnings) out += w + "\n";
  return out;
}

TEST(TaskDefSchema, MisspelledMembersAreRefusedWithTheNearestName) {
  struct Case {
    std::function<void(json&)> edit;
    const char* expected;
  } cases[] = {
      {[](json& j) { c0(j)["commnd"] = {"sh"}; },
       "containerDefinitions[0].commnd: is not a field of an ECS task definition (did you mean "
       "\"command\"?)"},
      {[](json& j) { c0(j)["enviroment"] = json::array(); },
       "containerDefinitions[0].enviroment: is not a field of an ECS task definition (did you "
       "mean \"environment\"?)"},
      {[](json& j) { j["famly"] = "x"; },
       "famly: is not a field of an ECS task definition (did you mean \"family\"?)"},
      {[](json& j) { c0(j)["Image"] = "busybox"; },
       "containerDefinitions[0].Image: is not a field of an ECS task definition (did you mean "
       "\"image\"?)"},
      {[](json& j) {
         c0(j)["healthCheck"] = {{"command", {"CMD", "true"}}, {"intervall", 10}};
       },
       "containerDefinitions[0].healthCheck.intervall: is not a field of an ECS task definition "
       "(did you mean \"interval\"?)"},
      {[](json& j) {
         c0(j)["portMappings"] = {{{"containerPort", 80}, {"hostport", 80}}};
       },
       "containerDefinitions[0].portMappings[0].hostport: is not a field of an ECS task "
       "definition (did you mean \"hostPort\"?)"},
      // Nothing close: no guess.
      {[](json& j) { c0(j)["zzzzzzzzzz"] = 1; },
       "containerDefinitions[0].zzzzzzzzzz: is not a field of an ECS task definition"},
      // Even with a value that says nothing: the name itself is wrong.
      {[](json& j) { c0(j)["essentail"] = false; },
       "containerDefinitions[0].essentail: is not a field of an ECS task definition (did you "
       "mean \"essential\"?)"},
  };
  for (const auto& c : cases) {
    json j = minimal();
    c.edit(j);
    EXPECT_EQ(error_of(j), c.expected);
  }
}

TEST(TaskDefSchema, DefinedButUnhonouredMembersAreWarnedNotRefused) {
  json j = minimal();
  c0(j)["secrets"] = {{{"name", "DB_PASSWORD"}, {"valueFrom", "arn:aws:ssm:::parameter/db"}}};
  j["ephemeralStorage"] = {{"sizeInGiB", 30}};
  const TaskDefinition t = parse(j);
  EXPECT_THAT(all_warnings(t), HasSubstr("containerDefinitions[0].secrets"));
  EXPECT_THAT(all_warnings(t), HasSubstr("ephemeralStorage"));
}

TEST(TaskDefSchema, SilentDropsAreSaid) {
  json j = minimal();
  j["taskRoleArn"] = "arn:aws:iam::123456789012:role/app";
  EXPECT_THAT(all_warnings(parse(j)),
              HasSubstr("taskRoleArn: the role is not assumed; Skiff provides no AWS credentials"));
  j = minimal();
  j.erase("networkMode");
  const TaskDefinition t = parse(j);
  EXPECT_EQ(t.network_mode, NetworkMode::Host);
  EXPECT_FALSE(t.network_mode_set);
  EXPECT_THAT(all_warnings(t), HasSubstr("networkMode: not given, which in ECS means \"bridge\""));
  EXPECT_TRUE(parse(minimal()).warnings.empty()) << all_warnings(parse(minimal()));
}

TEST(TaskDefSchema, APortRemapWithoutANetworkModeNamesTheMissingMode) {
  json j = minimal();
  j.erase("networkMode");
  c0(j)["portMappings"] = {{{"containerPort", 80}, {"hostPort", 8080}}};
  EXPECT_THAT(error_of(j), HasSubstr("networkMode is not given, which in ECS means \"bridge\""));
  EXPECT_THAT(error_of(j), ::testing::Not(HasSubstr("in host network mode")));
  j["networkMode"] = "host";
  EXPECT_THAT(error_of(j), HasSubstr("in host network mode"));
}

TEST(TaskDefSchema, PlacementConstraintsAndRuntimePlatformAreRead) {
  json j = minimal();
  j["placementConstraints"] = {
      {{"type", "memberOf"}, {"expression", "attribute:ecs.cpu-architecture == arm64"}}};
  j["runtimePlatform"] = {{"cpuArchitecture", "ARM64"}, {"operatingSystemFamily", "LINUX"}};
  const TaskDefinition t = parse(j);
  ASSERT_EQ(t.placement_constraints.size(), 1U);
  EXPECT_EQ(t.placement_constraints[0].expression, "attribute:ecs.cpu-architecture == arm64");
  EXPECT_EQ(oci_architecture(t.runtime_platform), "arm64");
  EXPECT_TRUE(t.warnings.empty());

  j["placementConstraints"][0]["type"] = "distinctInstance";
  EXPECT_EQ(error_of(j),
            "placementConstraints[0].type: a task definition's constraints must be \"memberOf\" "
            "(as in ECS), got \"distinctInstance\"");
  j.erase("placementConstraints");
  j["runtimePlatform"]["cpuArchitecture"] = "MIPS";
  EXPECT_EQ(error_of(j),
            "runtimePlatform.cpuArchitecture: must be \"X86_64\" or \"ARM64\", got \"MIPS\"");
  j["runtimePlatform"] = {{"operatingSystemFamily", "WINDOWS_SERVER_2022_CORE"}};
  EXPECT_THAT(error_of(j), HasSubstr("runtimePlatform.operatingSystemFamily: Skiff runs Linux"));
}

TEST(TaskDefSchema, NearestMemberNeedsAPlausibleMisspelling) {
  const auto names = detail::ecs_members(detail::EcsObject::kContainerDefinition);
  EXPECT_EQ(detail::nearest_member("workingDirectry", names), "workingDirectory");
  EXPECT_EQ(detail::nearest_member("workingDir", names), "");  // 6 edits: too far
  EXPECT_EQ(detail::nearest_member("memoryreservation", names), "memoryReservation");
  EXPECT_EQ(detail::nearest_member("banana", names), "");
  // A name far longer than any in the schema is compared on its start only.
  EXPECT_EQ(detail::nearest_member(std::string(100000, 'x'), names), "");
}

}  // namespace
}  // namespace skiff::taskdef
