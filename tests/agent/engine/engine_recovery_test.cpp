// recover() from every intent the loop saves: the agent is "killed" (its engine dropped,
// its containers left in the fake runtime), the saved task.json says where it was, and a
// new engine must finish or undo that step.
#include <signal.h>

#include <fstream>

#include "tests/agent/engine/engine_fixture.h"

namespace skiff::agent::test {
namespace {

class Recovery : public EngineTest {
 protected:
  // Runs `containers` until they run, then rewrites the saved record with `edit`, as if
  // the agent had died right after saving that.
  void run_then_save(const std::vector<json>& defs,
                     const std::function<void(TaskRecord&, ContainerRecord&)>& edit) {
    submit(defs);
    settle();
    ASSERT_EQ(task_known(), "RUNNING");
    TaskRecord r = store_.on_disk("t1");
    edit(r, r.containers.front());
    store_.put(r);
  }
  // The agent restarts: a new engine, recover(), then the loop.
  std::vector<std::string> restart_and_recover() {
    restart_agent();
    log_.clear();
    auto problems = engine_->recover();
    return problems;
  }
  std::vector<std::string> actions() const {
    return log_.only({"create_and_start", "start", "signal", "cleanup", "kill_in_flight",
                      "remove_runtime_container"});
  }
};

TEST_F(Recovery, ARunningContainerWithALiveShimIsAdopted) {
  submit({container("app")});
  settle();
  EXPECT_TRUE(restart_and_recover().empty());
  settle();
  EXPECT_TRUE(actions().empty()) << log_.dump();
  EXPECT_TRUE(log_.has("watch_exit t1-app-1"));
  EXPECT_EQ(known("app"), "RUNNING");
  // And it is watched: its exit is seen.
  containers_.exit("app", 0);
  settle();
  EXPECT_EQ(reason("app"), "exited with code 0");
}

TEST_F(Recovery, ARunningContainerThatExitedMeanwhileHasItsExitRead) {
  submit({container("app")});
  settle();
  containers_.exit("app", 7);  // while the agent is down
  restart_and_recover();
  settle();
  EXPECT_EQ(known("app"), "STOPPED");
  EXPECT_EQ(container_view("app")["exitCode"], 7);
  EXPECT_EQ(reason("app"), "exited with code 7");
  EXPECT_EQ(store_.on_disk("t1").containers[0].exit_code.value_or(-1), 7);
  EXPECT_EQ(actions(), std::vector<std::string>{"cleanup t1-app-1"});
}

TEST_F(Recovery, ARunningContainerThatVanishedMeanwhileIsReported) {
  submit({container("app")});
  settle();
  containers_.vanish("app");
  restart_and_recover();
  settle();
  EXPECT_EQ(reason("app"),
            "the container vanished (its shim exited without recording an exit status)");
  EXPECT_EQ(task_known(), "STOPPED");
}

TEST_F(Recovery, CreatingWithALiveShimIsAdopted) {
  run_then_save({container("app")}, [](TaskRecord&, ContainerRecord& c) {
    // Saved before the shim was launched: no pids, no start time yet.
    c.known = ContainerStatus::Creating;
    c.shim_pid = 0;
    c.pid = 0;
    c.started_at_ms = 0;
  });
  const auto& made = *containers_.find("t1-app-1");
  EXPECT_TRUE(restart_and_recover().empty());
  const TaskRecord saved = store_.on_disk("t1");
  EXPECT_EQ(saved.containers[0].known, ContainerStatus::Running);
  EXPECT_EQ(saved.containers[0].shim_pid, made.shim_pid);
  EXPECT_EQ(saved.containers[0].pid, made.pid);
  EXPECT_EQ(saved.containers[0].started_at_ms, clock_.now_ms());
  ASSERT_EQ(events("recovered").size(), 2u);  // the container, then the summary
  EXPECT_EQ(events("recovered")[0]["action"], "adopted a container created before the restart");
  settle();
  EXPECT_TRUE(actions().empty()) << log_.dump();
  EXPECT_EQ(known("app"), "RUNNING");
}

TEST_F(Recovery, CreatingWithNothingMadeIsCleanedUpAndCreatedAgain) {
  run_then_save({container("app")}, [this](TaskRecord&, ContainerRecord& c) {
    c.known = ContainerStatus::Creating;
    c.shim_pid = 0;
    c.pid = 0;
    containers_.vanish("app");  // the shim died in `create`
  });
  restart_and_recover();
  EXPECT_EQ(actions(), (std::vector<std::string>{"kill_in_flight t1-app-1", "cleanup t1-app-1"}));
  EXPECT_EQ(store_.on_disk("t1").containers[0].known, ContainerStatus::Pulled);
  EXPECT_EQ(events("recovered")[0]["action"], "removed a half-created container");
  settle();
  EXPECT_TRUE(log_.has("create_and_start t1-app-2")) << log_.dump();
  EXPECT_EQ(known("app"), "RUNNING");
  EXPECT_EQ(container_view("app")["restartCount"], 0) << "a recreation is not a restart";
}

TEST_F(Recovery, CreatingWithAContainerNotYetStartedIsStarted) {
  run_then_save({container("app")}, [this](TaskRecord&, ContainerRecord& c) {
    c.known = ContainerStatus::Creating;
    containers_.latest("app").runtime_status = "created";
  });
  restart_and_recover();
  EXPECT_EQ(store_.on_disk("t1").containers[0].known, ContainerStatus::Created);
  settle();
  EXPECT_EQ(actions(), std::vector<std::string>{"start t1-app-1"});
  EXPECT_EQ(known("app"), "RUNNING");
}

TEST_F(Recovery, CreatedWhoseStartLostTheRaceToTheShimIsRunning) {
  // The shim's `run --detach` started it between the agent's restart and its own start.
  run_then_save({container("app")}, [this](TaskRecord&, ContainerRecord& c) {
    c.known = ContainerStatus::Created;
    containers_.fail_start("app", "container is not in the created state");
  });
  restart_and_recover();
  settle();
  EXPECT_EQ(actions(), std::vector<std::string>{"start t1-app-1"});
  EXPECT_EQ(known("app"), "RUNNING");
}

TEST_F(Recovery, CreatedThatCannotStartIsRemovedAndStopsTheTask) {
  run_then_save({container("app")}, [this](TaskRecord&, ContainerRecord& c) {
    c.known = ContainerStatus::Created;
    containers_.latest("app").runtime_status = "created";
    containers_.fail_start("app", "exec: no such file");
  });
  restart_and_recover();
  settle();
  EXPECT_EQ(actions(), (std::vector<std::string>{"start t1-app-1", "cleanup t1-app-1"}));
  EXPECT_EQ(reason("app"), "CannotStartContainerError: start t1-app-1: exec: no such file");
  EXPECT_EQ(task()["stoppedReason"], "Essential container app could not start");
}

TEST_F(Recovery, StoppedWithLeftoversIsCleanedUp) {
  // The exit was saved, then the agent died before cleanup (save_then_cleanup).
  run_then_save({container("app")}, [this](TaskRecord& t, ContainerRecord& c) {
    containers_.exit("app", 0);
    t.desired = TaskStatus::Stopped;
    c.known = ContainerStatus::Stopped;
    c.desired = ContainerStatus::Stopped;
    c.exit_code = 0;
  });
  EXPECT_TRUE(restart_and_recover().empty());
  EXPECT_EQ(actions(), std::vector<std::string>{"cleanup t1-app-1"});
  EXPECT_EQ(store_.on_disk("t1").containers[0].shim_pid, 0);
  settle();
  EXPECT_EQ(containers_.creates("app"), 1);
  EXPECT_EQ(task_known(), "STOPPED");
  EXPECT_FALSE(containers_.exists("t1-app-1"));
}

TEST_F(Recovery, PulledForARestartWithLeftoversIsCleanedUpAndRestarted) {
  json app = container("app", {{"restartPolicy", {{"enabled", true}}}});
  run_then_save({app}, [this](TaskRecord&, ContainerRecord& c) {
    containers_.exit("app", 1);
    c.known = ContainerStatus::Pulled;
    c.restart_count = 1;
    c.exit_code = 1;
  });
  restart_and_recover();
  EXPECT_EQ(actions(), std::vector<std::string>{"cleanup t1-app-1"});
  settle();
  EXPECT_TRUE(log_.has("create_and_start t1-app-2")) << log_.dump();
  EXPECT_EQ(known("app"), "RUNNING");
  EXPECT_EQ(container_view("app")["restartCount"], 1);
}

TEST_F(Recovery, AnInterruptedStopIsResumedWithTheStopSignalFirst) {
  // Durability item 2: the stop was saved, the signal may not have been sent. The new
  // agent sends SIGTERM again (not straight SIGKILL, though 8 of the 10 s had passed) and
  // gives the container its whole stopTimeout from then.
  containers_.ignore_signal("app", SIGTERM);
  run_then_save({container("app", {{"stopTimeout", 10}})},
                [this](TaskRecord& t, ContainerRecord& c) {
                  t.desired = TaskStatus::Stopped;
                  t.stopped_reason = "Task stopped by user";
                  c.desired = ContainerStatus::Stopped;
                  c.stop_requested_ms = clock_.now_ms();
                  c.stop_signal = SIGTERM;
                });
  clock_.advance(8'000);
  restart_and_recover();
  settle();
  EXPECT_EQ(calls({"signal"}), std::vector<std::string>{"signal t1-app-1 SIGTERM"});
  ASSERT_EQ(events("stopping").size(), 1u);
  EXPECT_TRUE(events("stopping")[0]["resumed"].get<bool>());
  run_for(9'000);
  EXPECT_EQ(calls({"signal"}).size(), 1u) << "SIGKILL only a full stopTimeout after the resend";
  run_for(1'000);
  EXPECT_EQ(calls({"signal"}),
            (std::vector<std::string>{"signal t1-app-1 SIGTERM", "signal t1-app-1 SIGKILL all"}));
  run_for(1'000);
  EXPECT_EQ(task_known(), "STOPPED");
  EXPECT_EQ(task()["stoppedReason"], "Task stopped by user");
}

TEST_F(Recovery, AnInterruptedKillIsSentAgain) {
  // kill_needed was saved, then the agent died before its SIGKILL: the container ignores
  // SIGTERM and would otherwise be waited for forever.
  containers_.ignore_signal("app", SIGTERM);
  run_then_save({container("app", {{"stopTimeout", 10}})},
                [this](TaskRecord& t, ContainerRecord& c) {
                  t.desired = TaskStatus::Stopped;
                  c.desired = ContainerStatus::Stopped;
                  c.stop_requested_ms = clock_.now_ms();
                  c.stop_signal = SIGTERM;
                  c.kill_needed = true;
                });
  clock_.advance(12'000);
  restart_and_recover();
  run_for(2'000);
  EXPECT_EQ(calls({"signal"}), std::vector<std::string>{"signal t1-app-1 SIGKILL all"});
  EXPECT_EQ(known("app"), "STOPPED");
  EXPECT_TRUE(container_view("app")["killNeeded"].get<bool>());
  EXPECT_EQ(reason("app"), "stopped: still running 10s after signal 15, killed with SIGKILL");
}

TEST_F(Recovery, RuntimeContainersNoTaskOwnsAreRemoved) {
  submit({container("app")});
  settle();
  containers_.add("0123456789ab-gone-3", "0123456789abcdef", "gone");
  restart_and_recover();
  EXPECT_EQ(actions(), std::vector<std::string>{"remove_runtime_container 0123456789ab-gone-3"});
  ASSERT_EQ(events("orphan").size(), 1u);
  EXPECT_EQ(events("orphan")[0]["runtimeId"], "0123456789ab-gone-3");
  EXPECT_TRUE(containers_.exists("t1-app-1"));
}

TEST_F(Recovery, AnUnreadableTaskFileIsReportedAndLeftAlone) {
  const auto file = config_.runner.paths.task_file("broken");
  std::filesystem::create_directories(file.parent_path());
  std::ofstream(file) << "{not json";
  auto problems = restart_and_recover();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].rfind(file.string() + ": ", 0), 0u) << problems[0];
  EXPECT_TRUE(std::filesystem::exists(file)) << "kept for a person to look at";
  EXPECT_FALSE(engine_->has_task("broken"));
}

}  // namespace
}  // namespace skiff::agent::test
