// What reaches the disk, and when: the exit before the cleanup that removes its proof, an
// intent before the action it announces, an acknowledged stop before the answer; and what
// the engine does while the disk is full (back off, log rarely, keep the task going).
#include <errno.h>
#include <signal.h>

#include "common/error.h"
#include "tests/agent/engine/engine_fixture.h"

namespace skiff::agent::test {
namespace {

using Durability = EngineTest;

TEST_F(Durability, TheExitIsSavedBeforeCleanupRemovesItsRecord) {
  submit({container("app")});
  settle();
  containers_.exit("app", 4);
  settle();
  const int saved = log_.index_of("save t1 app=STOPPED");
  const int cleaned = log_.index_of("cleanup t1-app-1");
  ASSERT_GE(saved, 0) << log_.dump();
  ASSERT_GE(cleaned, 0) << log_.dump();
  EXPECT_LT(saved, cleaned) << log_.dump();
  EXPECT_LT(log_.index_of("exit_status t1-app-1"), saved);
  EXPECT_EQ(store_.on_disk("t1").containers[0].exit_code.value_or(-1), 4);
}

TEST_F(Durability, WhileTheExitCannotBeSavedItsProofIsKept) {
  submit({container("app")});
  settle();
  store_.fail(ENOSPC);
  containers_.exit("app", 4);
  run_for(5'000);
  EXPECT_FALSE(log_.has("cleanup t1-app-1")) << log_.dump();
  EXPECT_TRUE(containers_.exists("t1-app-1")) << "its exit record is the only proof of the exit";
  EXPECT_EQ(task_known(), "RUNNING") << "not finished while its container's leftovers remain";

  // The agent is killed now, and restarts once there is space: the disk still says
  // RUNNING, and the exit is found again rather than reported as a vanished container.
  store_.fail(0);
  restart_agent();
  engine_->recover();
  settle();
  EXPECT_EQ(reason("app"), "exited with code 4");
  EXPECT_EQ(store_.on_disk("t1").containers[0].exit_code.value_or(-1), 4);
  EXPECT_FALSE(containers_.exists("t1-app-1"));
  EXPECT_EQ(task_known(), "STOPPED");
}

TEST_F(Durability, LeftoversAreRemovedOnceTheExitIsSaved) {
  submit({container("app")});
  settle();
  store_.fail(ENOSPC);
  containers_.exit("app", 4);
  run_for(3'000);
  store_.fail(0);
  run_for(2'000);
  const int saved = log_.index_of("save t1 app=STOPPED");
  ASSERT_GE(saved, 0) << log_.dump();
  EXPECT_GT(log_.index_of("cleanup t1-app-1"), saved) << log_.dump();
  EXPECT_EQ(log_.count("cleanup t1-app-1"), 1u);
  EXPECT_EQ(task_known(), "STOPPED");
  EXPECT_TRUE(log_.has("remove_task_cgroup t1"));
  EXPECT_EQ(store_.on_disk("t1").containers[0].shim_pid, 0);
}

TEST_F(Durability, ARestartWaitsUntilTheExitIsSaved) {
  submit(
      {container("app", {{"restartPolicy", {{"enabled", true}, {"restartAttemptPeriod", 60}}}})});
  settle();
  run_for(61'000);
  store_.fail(ENOSPC);
  containers_.exit("app", 1);
  run_for(10'000);
  EXPECT_EQ(containers_.creates("app"), 1) << "no new container over the old one's leftovers";
  EXPECT_FALSE(log_.has("cleanup t1-app-1"));
  store_.fail(0);
  run_for(10'000);
  EXPECT_LT(log_.index_of("cleanup t1-app-1"), log_.index_of("create_and_start t1-app-2"))
      << log_.dump();
  EXPECT_EQ(known("app"), "RUNNING");
  EXPECT_EQ(container_view("app")["restartCount"], 1);
}

TEST_F(Durability, ARestartIsSavedBeforeTheOldContainerIsRemoved) {
  submit(
      {container("app", {{"restartPolicy", {{"enabled", true}, {"restartAttemptPeriod", 60}}}})});
  settle();
  run_for(61'000);
  containers_.exit("app", 1);
  settle();
  EXPECT_LT(log_.index_of("save t1 app=PULLED"), log_.index_of("cleanup t1-app-1")) << log_.dump();
}

TEST_F(Durability, TheCreatingIntentIsSavedBeforeTheCreate) {
  submit({container("app")});
  settle();
  const int intent = log_.index_of("save t1 app=CREATING");
  ASSERT_GE(intent, 0) << log_.dump();
  EXPECT_LT(intent, log_.index_of("create_and_start t1-app-1"));
}

TEST_F(Durability, AnUnsavedCreatingIntentBacksOffWithoutCreating) {
  submit({container("app")});
  store_.fail(ENOSPC);
  const std::string attempt = "save-failed t1 app=CREATING";
  pass();
  EXPECT_EQ(log_.count(attempt), 1u) << log_.dump();
  EXPECT_EQ(known("app"), "PULLED");
  // Then 1 s, 2 s, 4 s between attempts.
  run_for(999);
  EXPECT_EQ(log_.count(attempt), 1u);
  run_for(1);
  EXPECT_EQ(log_.count(attempt), 2u);
  run_for(1'999);
  EXPECT_EQ(log_.count(attempt), 2u);
  run_for(1);
  EXPECT_EQ(log_.count(attempt), 3u);
  run_for(3'999);
  EXPECT_EQ(log_.count(attempt), 3u);
  run_for(1);
  EXPECT_EQ(log_.count(attempt), 4u);
  EXPECT_EQ(containers_.creates("app"), 0) << "never create what could not be found again";

  store_.fail(0);  // space again
  run_for(8'000);
  EXPECT_EQ(known("app"), "RUNNING");
  EXPECT_EQ(containers_.creates("app"), 1);
  EXPECT_EQ(store_.on_disk("t1").containers[0].known, ContainerStatus::Running);
}

TEST_F(Durability, SaveErrorsAreLoggedAtMostEveryTenSeconds) {
  submit({container("app")});
  settle();
  store_.fail(ENOSPC);
  // Every pass tries to save again (once a second at least): a full disk must not also
  // fill the journal, so errors are reported once per 10 s, with a count.
  EXPECT_THROW(engine_->stop_task("t1", ""), Error);
  run_for(25'000);
  EXPECT_GE(store_.failed_saves(), 20);
  const auto errors = events("error");
  ASSERT_EQ(errors.size(), 3u) << "at 0, 10 and 20 s";
  EXPECT_NE(errors[0]["message"].get<std::string>().find("No space left on device"),
            std::string::npos)
      << errors[0];
  EXPECT_NE(errors[1]["message"].get<std::string>().find("failed saves since the last report"),
            std::string::npos)
      << errors[1];
}

TEST_F(Durability, AnEnospcDuringARestartIsRetriedOnceThereIsSpace) {
  json app =
      container("app", {{"restartPolicy", {{"enabled", true}, {"restartAttemptPeriod", 60}}}});
  submit({app});
  settle();
  run_for(61'000);
  containers_.fail_create("app", "create bundle: write config.json: No space left on device", 3);
  containers_.exit("app", 1);
  run_for(500);
  EXPECT_EQ(known("app"), "PULLED");
  EXPECT_EQ(reason("app"),
            "restart failed, will retry: create bundle: write config.json: No space left on "
            "device");
  EXPECT_EQ(task_known(), "RUNNING") << "one failed restart must not end the task";
  run_for(10'000);  // retries after 1, 2 and 4 s; the fourth attempt finds space
  EXPECT_EQ(containers_.creates("app"), 5);
  EXPECT_EQ(known("app"), "RUNNING");
  EXPECT_EQ(container_view("app")["restartCount"], 1);
  EXPECT_EQ(task_known(), "RUNNING");
}

TEST_F(Durability, AFailedFirstCreateStopsTheTask) {
  // Unlike a restart, a first create that fails is the task's end (ECS does the same).
  containers_.fail_create("app", "create bundle: No space left on device");
  submit({container("app")});
  settle();
  EXPECT_EQ(reason("app"), "CannotCreateContainerError: create bundle: No space left on device");
  EXPECT_EQ(task()["stoppedReason"], "Essential container app could not be created");
}

TEST_F(Durability, AStopIsSavedBeforeStopTaskReturns) {
  submit({container("app")});
  settle();
  engine_->stop_task("t1", "maintenance");
  // No pass has run: the request alone reached the disk.
  const TaskRecord saved = store_.on_disk("t1");
  EXPECT_EQ(saved.desired, TaskStatus::Stopped);
  EXPECT_EQ(saved.stopped_reason, "maintenance");
  EXPECT_TRUE(calls({"signal"}).empty());
}

TEST_F(Durability, AStopThatCannotBeSavedIsRefused) {
  submit({container("app")});
  settle();
  store_.fail(ENOSPC);
  try {
    engine_->stop_task("t1", "");
    ADD_FAILURE() << "stop_task must say the stop was not saved";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("could not be saved"), std::string::npos) << e.what();
  }
  // Still under way in this process.
  EXPECT_EQ(task()["desiredStatus"], "STOPPED");
}

TEST_F(Durability, ADrainIsSavedForEveryTaskBeforeItReturns) {
  submit({container("app")}, "t1");
  submit({container("app")}, "t2");
  settle();
  engine_->drain("host maintenance");
  EXPECT_EQ(store_.on_disk("t1").desired, TaskStatus::Stopped);
  EXPECT_EQ(store_.on_disk("t2").desired, TaskStatus::Stopped);
  EXPECT_EQ(store_.on_disk("t2").stopped_reason, "host maintenance");
}

TEST_F(Durability, ADrainThatCannotBeSavedSaysHowManyWereNot) {
  submit({container("app")}, "t1");
  submit({container("app")}, "t2");
  settle();
  store_.fail(ENOSPC);
  try {
    engine_->drain("");
    ADD_FAILURE() << "drain must say the stops were not saved";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("but 2 could not be saved"), std::string::npos)
        << e.what();
  }
}

TEST_F(Durability, ATaskThatCannotBeSavedIsRefused) {
  store_.fail(ENOSPC);
  EXPECT_THROW(submit({container("app")}), SysError);
  EXPECT_FALSE(engine_->has_task("t1"));
}

TEST_F(Durability, TheStopIntentIsSavedBeforeTheSignal) {
  submit({container("app")});
  settle();
  engine_->stop_task("t1", "");
  log_.clear();
  settle();
  const auto& lines = log_.all();
  const int signal = log_.index_of("signal t1-app-1 SIGTERM");
  ASSERT_GT(signal, 0) << log_.dump();
  EXPECT_EQ(lines[signal - 1].rfind("save t1 ", 0), 0u) << log_.dump();
}

}  // namespace
}  // namespace skiff::agent::test
