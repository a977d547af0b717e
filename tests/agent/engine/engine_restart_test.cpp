// restartPolicy (restart_policy.h): a container that exits is restarted in place, unless
// its exit code is ignored or it ran for less than restartAttemptPeriod since its latest
// start; a stop in progress is never undone by a restart.
#include <signal.h>

#include "tests/agent/engine/engine_fixture.h"

namespace skiff::agent::test {
namespace {

json restarting(const std::string& name, json ignored = json::array()) {
  return container(
      name, {{"restartPolicy",
              {{"enabled", true}, {"ignoredExitCodes", ignored}, {"restartAttemptPeriod", 60}}}});
}

using Restart = EngineTest;

TEST_F(Restart, AContainerThatRanLongEnoughIsRestartedInPlace) {
  submit({restarting("app")});
  settle();
  run_for(61'000);
  containers_.exit("app", 1);
  settle();
  EXPECT_EQ(known("app"), "RUNNING");
  EXPECT_EQ(container_view("app")["restartCount"], 1);
  EXPECT_EQ(container_view("app")["runtimeId"], "t1-app-2");
  EXPECT_EQ(reason("app"), "exited with code 1; restarted");
  EXPECT_EQ(task_known(), "RUNNING");
  // The old container is removed before its successor is made.
  EXPECT_LT(log_.index_of("cleanup t1-app-1"), log_.index_of("create_and_start t1-app-2"));
  ASSERT_EQ(events("restart").size(), 1u);
  EXPECT_EQ(events("restart")[0]["restartCount"], 1);
}

TEST_F(Restart, AnExitWithinRestartAttemptPeriodIsNotRestarted) {
  submit({restarting("app")});
  settle();
  run_for(30'000);
  containers_.exit("app", 1);
  settle();
  EXPECT_EQ(containers_.creates("app"), 1);
  EXPECT_EQ(known("app"), "STOPPED");
  EXPECT_EQ(reason("app"),
            "exited with code 1; not restarted: it exited after 30s, before "
            "restartAttemptPeriod (60s)");
  EXPECT_EQ(task_known(), "STOPPED") << "an essential container that stays stopped ends the task";
}

TEST_F(Restart, AnIgnoredExitCodeIsNotRestarted) {
  submit({restarting("app", json::array({0, 3}))});
  settle();
  run_for(61'000);
  containers_.exit("app", 3);
  settle();
  EXPECT_EQ(containers_.creates("app"), 1);
  EXPECT_EQ(reason("app"), "exited with code 3; not restarted: exit code 3 is in ignoredExitCodes");
}

TEST_F(Restart, AnExitCodeNotIgnoredIsRestarted) {
  submit({restarting("app", json::array({0}))});
  settle();
  run_for(61'000);
  containers_.exit("app", 2);
  settle();
  EXPECT_EQ(containers_.creates("app"), 2);
  EXPECT_EQ(known("app"), "RUNNING");
}

TEST_F(Restart, TheAttemptPeriodCountsFromTheLatestStart) {
  submit({restarting("app")});
  settle();
  run_for(61'000);
  containers_.exit("app", 1);
  settle();
  ASSERT_EQ(container_view("app")["restartCount"], 1);
  // 91 s after the task began, but only 30 s after the restart: not restarted again.
  run_for(30'000);
  containers_.exit("app", 1);
  settle();
  EXPECT_EQ(containers_.creates("app"), 2);
  EXPECT_EQ(known("app"), "STOPPED");
  EXPECT_NE(reason("app").find("before restartAttemptPeriod (60s)"), std::string::npos)
      << reason("app");
}

TEST_F(Restart, AStopInProgressIsNotUndoneByARestart) {
  submit({restarting("app")});
  settle();
  run_for(61'000);
  engine_->stop_task("t1", "");
  settle();
  EXPECT_EQ(containers_.creates("app"), 1);
  EXPECT_EQ(known("app"), "STOPPED");
  EXPECT_EQ(container_view("app")["restartCount"], 0);
  EXPECT_EQ(task_known(), "STOPPED");
}

TEST_F(Restart, AKilledContainerIsRestartedToo) {
  // Not a stop the agent asked for: a SIGKILL from elsewhere is an exit like any other.
  submit({restarting("app", json::array({0}))});
  settle();
  run_for(61'000);
  containers_.kill_by("app", SIGKILL);
  settle();
  EXPECT_EQ(containers_.creates("app"), 2);
  EXPECT_EQ(reason("app"), "killed by signal 9; restarted");
}

TEST_F(Restart, ANonEssentialContainerThatStaysStoppedLeavesTheTask) {
  json side = restarting("side");
  side["essential"] = false;
  submit({container("app"), side});
  settle();
  containers_.exit("side", 1);
  run_for(5'000);
  EXPECT_EQ(known("side"), "STOPPED");
  EXPECT_NE(reason("side").find("not restarted"), std::string::npos);
  EXPECT_EQ(task_known(), "RUNNING");
}

}  // namespace
}  // namespace skiff::agent::test
