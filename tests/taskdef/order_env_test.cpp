// start_order() and parse_env_file().
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/taskdef/taskdef_test_util.h"

namespace skiff::taskdef {
namespace {

using ::testing::HasSubstr;

TaskDefinition task_of(std::vector<std::pair<std::string, std::vector<std::string>>> graph) {
  TaskDefinition t;
  for (auto& [name, deps] : graph) {
    ContainerDefinition c;
    c.name = name;
    for (auto& d : deps) c.depends_on.push_back({d, DependencyCondition::Start});
    t.containers.push_back(c);
  }
  return t;
}

std::string cycle_of(const TaskDefinition& t) {
  try {
    start_order(t);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(TaskDefStartOrder, DefinitionOrderWithoutDependencies) {
  EXPECT_EQ(start_order(task_of({{"c", {}}, {"a", {}}, {"b", {}}})),
            (std::vector<std::string>{"c", "a", "b"}));
}

TEST(TaskDefStartOrder, DependenciesFirstOtherwiseStable) {
  // web needs db and cache; db needs init; log is free and keeps its place after web's
  // dependencies are settled only if it comes later in the list.
  const auto t = task_of(
      {{"web", {"db", "cache"}}, {"log", {}}, {"db", {"init"}}, {"cache", {}}, {"init", {}}});
  EXPECT_EQ(start_order(t), (std::vector<std::string>{"log", "cache", "init", "db", "web"}));
}

TEST(TaskDefStartOrder, NamesTheCycle) {
  EXPECT_EQ(cycle_of(task_of({{"a", {"b"}}, {"b", {"a"}}})), "dependsOn cycle: a -> b -> a");
  EXPECT_EQ(cycle_of(task_of({{"x", {}}, {"a", {"b"}}, {"b", {"c"}}, {"c", {"a"}}})),
            "dependsOn cycle: a -> b -> c -> a");
  // A container that waits on a cycle is not part of it.
  EXPECT_EQ(cycle_of(task_of({{"w", {"a"}}, {"a", {"b"}}, {"b", {"a"}}})),
            "dependsOn cycle: a -> b -> a");
  EXPECT_EQ(cycle_of(task_of({{"s", {"s"}}})), "dependsOn cycle: s -> s");
}

TEST(TaskDefStartOrder, CycleThroughParserNamesIt) {
  test::json j = test::minimal();
  j["containerDefinitions"].push_back(
      {{"name", "b"},
       {"image", "i"},
       {"memory", 8},
       {"dependsOn", {{{"containerName", "c"}, {"condition", "START"}}}}});
  j["containerDefinitions"].push_back(
      {{"name", "c"},
       {"image", "i"},
       {"memory", 8},
       {"dependsOn", {{{"containerName", "b"}, {"condition", "START"}}}}});
  EXPECT_EQ(test::error_of(j), "dependsOn cycle: b -> c -> b");
}

TEST(TaskDefNames, EcsSpellings) {
  EXPECT_EQ(to_string(DependencyCondition::Healthy), "HEALTHY");
  EXPECT_EQ(to_string(DependencyCondition::Complete), "COMPLETE");
  EXPECT_EQ(to_string(LogDriver::JsonFile), "json-file");
  EXPECT_EQ(to_string(NetworkMode::None), "none");
  EXPECT_EQ(to_string(NamespaceMode::Task), "task");
  EXPECT_EQ(to_string(NamespaceMode::Private), "");
}

TEST(TaskDefEnvFile, ParsesLinesCommentsAndBlankLines) {
  const auto vars = parse_env_file(
      "# settings\n"
      "A=1\n"
      "\n"
      "  B=two words\r\n"
      "C=\n"
      "D=x=y # not a comment\n"
      "   # indented comment\n"
      "E=\"quoted\"",
      "app.env");
  EXPECT_EQ(vars, (std::vector<EnvVar>{{"A", "1"},
                                       {"B", "two words"},
                                       {"C", ""},
                                       {"D", "x=y # not a comment"},
                                       {"E", "\"quoted\""}}));
  EXPECT_TRUE(parse_env_file("", "empty.env").empty());
}

TEST(TaskDefEnvFile, ErrorsNameFileAndLine) {
  auto error_of = [](std::string_view text) {
    try {
      parse_env_file(text, "app.env");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_EQ(error_of("A=1\nJUSTNAME\n"), "app.env:2: expected NAME=VALUE, got \"JUSTNAME\"");
  EXPECT_EQ(error_of("=x\n"), "app.env:1: invalid variable name \"\"");
  EXPECT_EQ(error_of("A B=x\n"), "app.env:1: invalid variable name \"A B\"");
  EXPECT_THAT(error_of(std::string_view("A=x\0y", 5)), HasSubstr("app.env:1: value of A contains"));
}

}  // namespace
}  // namespace skiff::taskdef
