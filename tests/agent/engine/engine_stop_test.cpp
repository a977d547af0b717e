// Stopping: the image's stop signal first, SIGKILL after stopTimeout, dependents before
// what they depend on, and what an exit means for the task (essential or not).
#include <signal.h>

#include "tests/agent/engine/engine_fixture.h"

namespace skiff::agent::test {
namespace {

using Stop = EngineTest;

TEST_F(Stop, StopTaskSendsTheImagesStopSignal) {
  containers_.set_stop_signal("busybox", SIGINT);
  submit({container("app", {{"stopTimeout", 5}})});
  settle();
  engine_->stop_task("t1", "stopped by the test");
  settle();
  EXPECT_EQ(calls({"signal"}), std::vector<std::string>{"signal t1-app-1 SIGINT"});
  EXPECT_EQ(known("app"), "STOPPED");
  EXPECT_EQ(reason("app"), "stopped: exited after signal 2 (killed by signal 2)");
  EXPECT_FALSE(container_view("app")["killNeeded"].get<bool>());
  EXPECT_EQ(task_known(), "STOPPED");
  EXPECT_EQ(task()["stoppedReason"], "stopped by the test");
  EXPECT_TRUE(log_.has("remove_task_cgroup t1")) << log_.dump();
}

TEST_F(Stop, SigkillFollowsOnlyAfterStopTimeout) {
  containers_.ignore_signal("app", SIGTERM);
  submit({container("app", {{"stopTimeout", 5}})});
  settle();
  engine_->stop_task("t1", "");
  settle();
  EXPECT_EQ(calls({"signal"}), std::vector<std::string>{"signal t1-app-1 SIGTERM"});
  run_for(4'999);
  EXPECT_EQ(calls({"signal"}).size(), 1u) << "no SIGKILL before stopTimeout";
  EXPECT_EQ(known("app"), "RUNNING");
  run_for(1);
  EXPECT_EQ(calls({"signal"}),
            (std::vector<std::string>{"signal t1-app-1 SIGTERM", "signal t1-app-1 SIGKILL all"}));
  run_for(1'000);
  EXPECT_EQ(known("app"), "STOPPED");
  EXPECT_TRUE(container_view("app")["killNeeded"].get<bool>());
  EXPECT_EQ(reason("app"), "stopped: still running 5s after signal 15, killed with SIGKILL");
  EXPECT_EQ(task()["stoppedReason"], "Task stopped by user");
}

TEST_F(Stop, ShutdownIsReversedAlongDependsOn) {
  // a depends on b: b is not signalled until a has stopped, even after a needed SIGKILL.
  json a = container("a", {{"stopTimeout", 3}});
  a["dependsOn"] = json::array({{{"containerName", "b"}, {"condition", "START"}}});
  containers_.ignore_signal("a", SIGTERM);
  submit({container("b", {{"stopTimeout", 3}}), a});
  settle();
  ASSERT_EQ(task_known(), "RUNNING");
  engine_->stop_task("t1", "");
  run_for(2'000);
  EXPECT_EQ(calls({"signal"}), std::vector<std::string>{"signal t1-a-1 SIGTERM"})
      << "b must wait for a";
  run_for(5'000);
  EXPECT_EQ(calls({"signal"}),
            (std::vector<std::string>{"signal t1-a-1 SIGTERM", "signal t1-a-1 SIGKILL all",
                                      "signal t1-b-1 SIGTERM"}));
  EXPECT_EQ(known("a"), "STOPPED");
  EXPECT_EQ(known("b"), "STOPPED");
  EXPECT_FALSE(container_view("b")["killNeeded"].get<bool>());
}

TEST_F(Stop, EssentialExitStopsTheTask) {
  submit({container("app"), container("side", {{"essential", false}})});
  settle();
  containers_.exit("app", 5);
  settle();
  EXPECT_EQ(container_view("app")["exitCode"], 5);
  EXPECT_EQ(reason("app"), "exited with code 5");
  EXPECT_EQ(calls({"signal"}), std::vector<std::string>{"signal t1-side-1 SIGTERM"});
  EXPECT_EQ(known("side"), "STOPPED");
  EXPECT_EQ(task_known(), "STOPPED");
  EXPECT_EQ(task()["stoppedReason"], "Essential container in task exited");
}

TEST_F(Stop, NonEssentialExitLeavesTheTaskRunning) {
  submit({container("app"), container("side", {{"essential", false}})});
  settle();
  containers_.exit("side", 1);
  run_for(10'000);
  EXPECT_EQ(known("side"), "STOPPED");
  EXPECT_EQ(container_view("side")["exitCode"], 1);
  EXPECT_EQ(known("app"), "RUNNING");
  EXPECT_EQ(task_known(), "RUNNING");
  EXPECT_TRUE(calls({"signal"}).empty());
}

TEST_F(Stop, OutOfMemoryKillIsTheReason) {
  submit({container("app")});
  settle();
  containers_.set_oom("app");
  containers_.kill_by("app", SIGKILL);
  settle();
  EXPECT_EQ(reason("app"), "OutOfMemoryError: Container killed due to memory usage");
  EXPECT_TRUE(container_view("app")["oomKilled"].get<bool>());
  EXPECT_EQ(container_view("app")["exitCode"], 137);
}

TEST_F(Stop, AVanishedContainerIsReportedAsSuch) {
  submit({container("app")});
  settle();
  containers_.vanish("app");
  settle();
  EXPECT_EQ(known("app"), "STOPPED");
  EXPECT_EQ(reason("app"),
            "the container vanished (its shim exited without recording an exit status)");
  EXPECT_TRUE(container_view("app")["exitCode"].is_null());
  EXPECT_EQ(task_known(), "STOPPED");
}

// Durability 6 (docs/agent.md, "A shim that dies"): a container that outlives its shim is
// stopped and recorded as such, not reported as vanished, and its restart policy applies.
TEST_F(Stop, AContainerWhoseShimDiedIsStoppedAndRecorded) {
  submit({container("app")});
  settle();
  const std::string first = containers_.latest_id("app");
  containers_.kill_shim("app");
  settle();
  EXPECT_EQ(known("app"), "STOPPED");
  const std::string why = reason("app");
  EXPECT_EQ(why.rfind("ShimDied: the container's shim (pid ", 0), 0u) << why;
  EXPECT_NE(why.find("exited while the container was running"), std::string::npos) << why;
  EXPECT_TRUE(container_view("app")["exitCode"].is_null());
  EXPECT_FALSE(containers_.exists(first)) << "the orphaned container was left running";
  EXPECT_EQ(task_known(), "STOPPED");
}

TEST_F(Stop, AnUnreadableExitRecordIsNamed) {
  submit({container("app")});
  settle();
  containers_.latest("app").exit_unreadable = true;
  containers_.exit("app", 0);
  settle();
  EXPECT_EQ(reason("app"),
            "the container's exit record is unreadable: exit.json of t1-app-1: not valid JSON");
}

TEST_F(Stop, StopBeforeThePullFinishesNeverCreates) {
  images_.set("busybox", ImageSource::State::Pending);
  submit({container("app")});
  run_for(3'000);
  engine_->stop_task("t1", "");
  settle();
  EXPECT_EQ(containers_.creates("app"), 0);
  EXPECT_EQ(reason("app"), "task stopped before the image was pulled");
  EXPECT_EQ(task_known(), "STOPPED");
}

TEST_F(Stop, AFailedPullStopsTheTaskAndMayBeRetriedLater) {
  images_.set("busybox", ImageSource::State::Failed, "manifest unknown");
  submit({container("app")});
  settle();
  EXPECT_EQ(reason("app"), "CannotPullContainerError: manifest unknown");
  EXPECT_EQ(task()["stoppedReason"], "Essential container app could not be pulled");
  EXPECT_TRUE(log_.has("retry busybox")) << "a later task must be able to pull again";
}

TEST_F(Stop, AStoppedTaskIsForgottenAfterTheCleanupWait) {
  config_.task_cleanup_wait_seconds = 3600;
  restart_agent();
  submit({container("app")});
  settle();
  containers_.exit("app", 0);
  settle();
  ASSERT_EQ(task_known(), "STOPPED");
  clock_.advance(3'599'000);
  settle();
  EXPECT_TRUE(engine_->has_task("t1"));
  clock_.advance(1'000);
  settle();
  EXPECT_FALSE(engine_->has_task("t1"));
  EXPECT_TRUE(log_.has("remove t1")) << log_.dump();
  EXPECT_EQ(events("forgotten").size(), 1u);
}

}  // namespace
}  // namespace skiff::agent::test
