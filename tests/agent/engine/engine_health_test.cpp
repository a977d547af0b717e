// Health checks over the fake's probes: the first probe one interval after start,
// startPeriod failures that don't count, retries before UNHEALTHY, probe timeouts, and an
// unhealthy essential container with a restart policy replaced.
#include <signal.h>

#include "tests/agent/engine/engine_fixture.h"

namespace skiff::agent::test {
namespace {

json checked(const std::string& name, json check) {
  json base = {{"command", {"CMD", "check"}}, {"interval", 5}, {"timeout", 2}, {"retries", 1}};
  base.update(check);
  return container(name, {{"healthCheck", base}});
}

class EngineHealth : public EngineTest {
 protected:
  std::string health_of(const std::string& name) { return container_view(name)["health"]; }
};

TEST_F(EngineHealth, TheProbeRunsTheCommandInTheContainer) {
  submit({checked("app", {{"command", {"CMD-SHELL", "curl -f http://localhost/"}}})});
  settle();
  run_for(5'100);
  EXPECT_EQ(calls({"exec_probe"}),
            std::vector<std::string>{"exec_probe t1-app-1 /bin/sh -c curl -f http://localhost/"});
  EXPECT_EQ(health_of("app"), "HEALTHY");
  EXPECT_EQ(task()["health"], "HEALTHY");
}

TEST_F(EngineHealth, FailuresDuringStartPeriodDoNotCount) {
  containers_.probe_results("app", {false});
  submit({checked("app", {{"startPeriod", 20}})});
  settle();
  run_for(19'000);
  EXPECT_EQ(calls({"exec_probe"}).size(), 3u) << "probes at 5, 10 and 15 s";
  EXPECT_EQ(health_of("app"), "UNKNOWN") << "retries is 1, but the failures were in startPeriod";
  run_for(2'000);
  EXPECT_EQ(health_of("app"), "UNHEALTHY");
  ASSERT_EQ(events("health").size(), 1u);
  EXPECT_EQ(events("health")[0]["health"], "UNHEALTHY");
}

TEST_F(EngineHealth, ASuccessEndsTheStartPeriodEarly) {
  containers_.probe_results("app", {true, false});
  submit({checked("app", {{"startPeriod", 60}})});
  settle();
  run_for(5'100);
  EXPECT_EQ(health_of("app"), "HEALTHY");
  run_for(5'100);
  EXPECT_EQ(health_of("app"), "UNHEALTHY") << "after a success, failures count at once";
}

TEST_F(EngineHealth, RetriesConsecutiveFailuresMakeItUnhealthy) {
  containers_.probe_results("app", {true, false, false, false});
  submit({checked("app", {{"retries", 3}})});
  settle();
  run_for(5'100);
  EXPECT_EQ(health_of("app"), "HEALTHY");
  run_for(10'100);  // two failures (each probe 50 ms later: the interval runs from a result)
  EXPECT_EQ(health_of("app"), "HEALTHY") << "2 of 3 retries";
  run_for(5'100);
  EXPECT_EQ(health_of("app"), "UNHEALTHY");
  EXPECT_EQ(task()["health"], "UNHEALTHY");
}

TEST_F(EngineHealth, OneSuccessMakesItHealthyAgain) {
  containers_.probe_results("app", {false, true});
  submit({checked("app", json::object())});
  settle();
  run_for(5'100);
  EXPECT_EQ(health_of("app"), "UNHEALTHY");
  run_for(5'100);
  EXPECT_EQ(health_of("app"), "HEALTHY");
  EXPECT_EQ(events("health").size(), 2u);
}

TEST_F(EngineHealth, AProbeThatOutlivesItsTimeoutIsKilledAndFails) {
  containers_.hang_probes("app");
  submit({checked("app", {{"timeout", 2}})});
  settle();
  run_for(6'900);
  EXPECT_EQ(health_of("app"), "UNKNOWN") << "the probe has 2 s";
  run_for(200);
  EXPECT_EQ(health_of("app"), "UNHEALTHY");
}

TEST_F(EngineHealth, AnUnhealthyEssentialContainerWithARestartPolicyIsReplaced) {
  // Replaced even though it ran for less than restartAttemptPeriod: that period guards
  // against crash loops, not against health replacements.
  json app = checked("app", json::object());
  app["restartPolicy"] = {{"enabled", true}, {"restartAttemptPeriod", 60}};
  app["stopTimeout"] = 4;
  containers_.probe_results("app", {false, true});
  submit({app});
  settle();
  run_for(5'100);
  EXPECT_EQ(calls({"signal"}), std::vector<std::string>{"signal t1-app-1 SIGTERM"});
  ASSERT_EQ(events("replace").size(), 1u);
  run_for(1'000);
  EXPECT_EQ(container_view("app")["runtimeId"], "t1-app-2");
  EXPECT_EQ(known("app"), "RUNNING");
  EXPECT_EQ(container_view("app")["restartCount"], 1);
  EXPECT_EQ(reason("app"),
            "stopped: exited after signal 15 (killed by signal 15); replaced after failing its "
            "health check");
  EXPECT_EQ(health_of("app"), "UNKNOWN") << "the replacement starts its checks afresh";
  EXPECT_EQ(task_known(), "RUNNING");
  run_for(5'100);
  EXPECT_EQ(health_of("app"), "HEALTHY");
}

TEST_F(EngineHealth, AReplacementThatIgnoresSigtermIsKilledAfterStopTimeout) {
  json app = checked("app", json::object());
  app["restartPolicy"] = {{"enabled", true}, {"restartAttemptPeriod", 60}};
  app["stopTimeout"] = 4;
  containers_.probe_results("app", {false});
  containers_.ignore_signal("app", SIGTERM);
  submit({app});
  settle();
  run_for(11'000);  // unhealthy at 5 s, SIGTERM ignored, SIGKILL 4 s later
  EXPECT_EQ(calls({"signal"}),
            (std::vector<std::string>{"signal t1-app-1 SIGTERM", "signal t1-app-1 SIGKILL all"}));
  EXPECT_EQ(containers_.creates("app"), 2);
}

TEST_F(EngineHealth, AnUnhealthyContainerWithoutARestartPolicyKeepsRunning) {
  containers_.probe_results("app", {false});
  submit({checked("app", json::object())});
  settle();
  run_for(20'000);
  EXPECT_EQ(health_of("app"), "UNHEALTHY");
  EXPECT_TRUE(calls({"signal"}).empty());
  EXPECT_EQ(containers_.creates("app"), 1);
  EXPECT_EQ(task_known(), "RUNNING");
}

TEST_F(EngineHealth, AnUnhealthyNonEssentialContainerIsOnlyReported) {
  json side = checked("side", json::object());
  side["essential"] = false;
  side["restartPolicy"] = {{"enabled", true}, {"restartAttemptPeriod", 60}};
  containers_.probe_results("side", {false});
  submit({container("app"), side});
  settle();
  run_for(20'000);
  EXPECT_EQ(health_of("side"), "UNHEALTHY");
  EXPECT_TRUE(calls({"signal"}).empty());
  EXPECT_TRUE(events("replace").empty());
  EXPECT_EQ(task()["health"], "UNKNOWN") << "only essential containers decide the task's health";
}

}  // namespace
}  // namespace skiff::agent::test
