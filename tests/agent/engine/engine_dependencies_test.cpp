// dependsOn over the fakes: each condition orders the starts, a dependency that can no
// longer be met fails the dependent, and startTimeout belongs to the dependency.
#include <signal.h>

#include "tests/agent/engine/engine_fixture.h"

namespace skiff::agent::test {
namespace {

json depends_on(const std::string& target, const std::string& condition) {
  return {{"dependsOn", json::array({{{"containerName", target}, {"condition", condition}}})}};
}

using DependsOn = EngineTest;

TEST_F(DependsOn, StartWaitsUntilTheTargetRuns) {
  images_.set("init-image", ImageSource::State::Pending);
  submit({container("b", {{"image", "init-image"}}), container("a", depends_on("b", "START"))});
  run_for(5000);
  EXPECT_EQ(containers_.creates("a"), 0) << "a must wait while b's image is still coming";
  EXPECT_EQ(known("a"), "PULLED");

  images_.finish("init-image", ImageSource::State::Ready);
  settle();
  const int b_created = log_.index_of("create_and_start t1-b-1");
  const int a_created = log_.index_of("create_and_start t1-a-1");
  ASSERT_GE(b_created, 0) << log_.dump();
  EXPECT_GT(a_created, b_created) << log_.dump();
  EXPECT_EQ(known("a"), "RUNNING");
  EXPECT_EQ(task_known(), "RUNNING");
}

TEST_F(DependsOn, StartCannotBeMetWhenTheTargetFailsToStart) {
  containers_.fail_create("b", "bundle: No space left on device");
  submit({container("b", {{"essential", false}}), container("a", depends_on("b", "START"))});
  settle();
  EXPECT_EQ(containers_.creates("a"), 0);
  EXPECT_EQ(reason("b"), "CannotCreateContainerError: bundle: No space left on device");
  EXPECT_EQ(reason("a"), "DependencyError: dependsOn b (START): it stopped without starting");
  EXPECT_EQ(task_known(), "STOPPED");
  EXPECT_EQ(task()["stoppedReason"],
            "Essential container a could not start: dependsOn b (START): it stopped without "
            "starting");
}

TEST_F(DependsOn, CompleteWaitsForAnyExit) {
  submit({container("b", {{"essential", false}}), container("a", depends_on("b", "COMPLETE"))});
  run_for(10'000);
  EXPECT_EQ(containers_.creates("a"), 0) << "b still runs";
  containers_.exit("b", 3);
  settle();
  EXPECT_EQ(containers_.creates("a"), 1) << "a non-zero exit completes too";
  EXPECT_EQ(known("a"), "RUNNING");
  EXPECT_EQ(container_view("b")["exitCode"], 3);
}

TEST_F(DependsOn, SuccessStartsTheDependentAfterExitZero) {
  submit(
      {container("init", {{"essential", false}}), container("app", depends_on("init", "SUCCESS"))});
  settle();
  EXPECT_EQ(containers_.creates("app"), 0);
  containers_.exit("init", 0);
  settle();
  EXPECT_EQ(known("app"), "RUNNING");
  EXPECT_EQ(known("init"), "STOPPED");
  EXPECT_EQ(task_known(), "RUNNING") << "init is not essential: its exit stops nothing";
}

TEST_F(DependsOn, SuccessWithANonZeroExitFailsTheDependent) {
  submit(
      {container("init", {{"essential", false}}), container("app", depends_on("init", "SUCCESS"))});
  settle();
  containers_.exit("init", 3);
  settle();
  EXPECT_EQ(containers_.creates("app"), 0) << "app must never start";
  EXPECT_EQ(known("app"), "STOPPED");
  EXPECT_EQ(reason("app"), "DependencyError: dependsOn init (SUCCESS): it exited with code 3");
  EXPECT_EQ(task_known(), "STOPPED");
}

TEST_F(DependsOn, HealthyWaitsForTheFirstSuccessfulProbe) {
  json b = container("b", {{"essential", false}});
  b["healthCheck"] = {{"command", {"CMD", "check"}}, {"interval", 5}, {"retries", 3}};
  containers_.probe_results("b", {false, true});
  submit({b, container("a", depends_on("b", "HEALTHY"))});
  run_for(4'000);
  EXPECT_TRUE(calls({"exec_probe"}).empty()) << "the first probe is one interval after start";
  run_for(2'000);
  ASSERT_EQ(calls({"exec_probe"}).size(), 1u);
  EXPECT_EQ(containers_.creates("a"), 0) << "a failed probe is not HEALTHY";
  run_for(5'000);
  EXPECT_EQ(container_view("b")["health"], "HEALTHY");
  EXPECT_EQ(known("a"), "RUNNING");
}

TEST_F(DependsOn, HealthyCannotBeMetOnceTheTargetStopped) {
  json b = container("b", {{"essential", false}});
  b["healthCheck"] = {{"command", {"CMD", "check"}}, {"interval", 5}, {"retries", 3}};
  submit({b, container("a", depends_on("b", "HEALTHY"))});
  settle();
  containers_.exit("b", 0);
  settle();
  EXPECT_EQ(containers_.creates("a"), 0);
  EXPECT_EQ(reason("a"), "DependencyError: dependsOn b (HEALTHY): it stopped");
}

TEST_F(DependsOn, StartTimeoutOfTheDependencyBoundsTheWait) {
  // b's startTimeout (10 s), counted from b's start, bounds a's wait; a's own (120 s) does
  // not. Past it b is stopped, with the reason saying so, and a fails.
  json b = container("b", {{"essential", false}, {"startTimeout", 10}, {"stopTimeout", 2}});
  json a = container("a", depends_on("b", "COMPLETE"));
  a["startTimeout"] = 120;
  containers_.ignore_signal("b", SIGTERM);
  submit({b, a});
  settle();
  const std::int64_t b_started = clock_.now_ms();
  run_for(9'000);
  EXPECT_EQ(known("a"), "PULLED") << "still within b's startTimeout";
  EXPECT_TRUE(calls({"signal"}).empty());

  run_for(1'000);
  EXPECT_EQ(clock_.now_ms() - b_started, 10'000);
  EXPECT_EQ(known("a"), "STOPPED");
  EXPECT_EQ(reason("a"),
            "DependencyTimeout: dependsOn b (COMPLETE) not met within b's startTimeout 10s");
  EXPECT_NE(reason("b").find("startTimeout"), std::string::npos) << reason("b");
  EXPECT_EQ(calls({"signal"}), std::vector<std::string>{"signal t1-b-1 SIGTERM"});

  run_for(3'000);  // b ignores SIGTERM: its stopTimeout (2 s) ends in SIGKILL
  EXPECT_EQ(calls({"signal"}),
            (std::vector<std::string>{"signal t1-b-1 SIGTERM", "signal t1-b-1 SIGKILL all"}));
  EXPECT_EQ(known("b"), "STOPPED");
  EXPECT_TRUE(container_view("b")["killNeeded"].get<bool>());
  // Why it was stopped survives its exit.
  EXPECT_EQ(reason("b"),
            "stopped: its startTimeout passed before a's dependency on it was met; still "
            "running 2s after signal 15, killed with SIGKILL");
  EXPECT_EQ(containers_.creates("a"), 0);
  EXPECT_EQ(task_known(), "STOPPED");
  EXPECT_EQ(task()["stoppedReason"],
            "Essential container a timed out waiting for its dependencies");
}

TEST_F(DependsOn, StartTimeoutIsCountedFromTheTargetsStartNotTheDependents) {
  // b's image takes 20 s to arrive; its 10 s startTimeout runs from its start, so a still
  // waits at 25 s after submission.
  images_.set("slow", ImageSource::State::Pending);
  json b = container("b", {{"essential", false}, {"image", "slow"}, {"startTimeout", 10}});
  submit({b, container("a", depends_on("b", "COMPLETE"))});
  run_for(20'000);
  images_.finish("slow", ImageSource::State::Ready);
  run_for(5'000);
  EXPECT_EQ(known("a"), "PULLED");
  EXPECT_EQ(known("b"), "RUNNING");
  containers_.exit("b", 0);
  settle();
  EXPECT_EQ(known("a"), "RUNNING");
}

TEST_F(DependsOn, NoStartTimeoutMeansWaitingForever) {
  submit({container("b", {{"essential", false}}), container("a", depends_on("b", "SUCCESS"))});
  run_for(600'000);
  EXPECT_EQ(known("a"), "PULLED");
  EXPECT_TRUE(calls({"signal"}).empty());
}

}  // namespace
}  // namespace skiff::agent::test
