// The agent restarts (SIGKILL at any point) without losing or duplicating containers.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "agent_harness.h"
#include "common/file_io.h"

namespace skiff::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

fs::path test_root(const std::string& name) {
  return fs::path("/run") / ("skiff-agent-" + name + "-" + std::to_string(::getpid()));
}

bool alive(int pid) {
  return pid > 0 && ::kill(pid, 0) == 0;
}

// skiff-shim processes whose state dir lies beneath `root`.
std::vector<int> shims_under(const fs::path& root) {
  std::vector<int> pids;
  for (const auto& e : fs::directory_iterator("/proc")) {
    std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline;
    try {
      cmdline = read_file(e.path() / "cmdline");
    } catch (const std::exception&) {
      continue;
    }
    std::string comm;
    try {
      comm = read_file(e.path() / "comm");
    } catch (const std::exception&) {
      continue;
    }
    if (comm.starts_with("skiff-shim") && cmdline.find(root.string() + "/") != std::string::npos) {
      pids.push_back(std::stoi(name));
    }
  }
  return pids;
}

TEST(AgentRecovery, ContainersSurviveAnAgentKillAndAreAdoptedAgain) {
  Agent agent(test_root("adopt"));
  agent.start();
  auto c = probe_container("app", {"trap-term", "0"});
  auto id = agent.run_task(task_definition("adopt", json::array({c})));
  auto before = agent.wait_status(id, "RUNNING");
  int pid = container(before, "app")["pid"];
  agent.kill(SIGKILL);
  EXPECT_TRUE(alive(pid)) << "the container must outlive the agent";
  agent.start();
  auto after = agent.wait_status(id, "RUNNING");
  EXPECT_EQ(container(after, "app")["pid"], pid);
  EXPECT_EQ(agent.runtime_containers().size(), 1u);
  std::this_thread::sleep_for(200ms);
  agent.stop_task(id);
  auto stopped = agent.wait_status(id, "STOPPED");
  EXPECT_EQ(container(stopped, "app")["exitCode"], 0);
  EXPECT_FALSE(alive(pid));
}

TEST(AgentRecovery, ExitWhileTheAgentIsDownIsRecordedOnReturn) {
  Agent agent(test_root("exit-down"));
  agent.start();
  auto c = probe_container("app", {"trap-term", "9"});
  auto id = agent.run_task(task_definition("exit-down", json::array({c})));
  int pid = container(agent.wait_status(id, "RUNNING"), "app")["pid"];
  std::this_thread::sleep_for(300ms);  // the probe installs its handler
  agent.kill(SIGKILL);
  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  for (int i = 0; i < 100 && alive(pid); ++i) std::this_thread::sleep_for(50ms);
  agent.start();
  auto t = agent.wait_status(id, "STOPPED");
  EXPECT_EQ(container(t, "app")["exitCode"], 9) << t.dump(1);
  EXPECT_EQ(t["stoppedReason"], "Essential container in task exited");
  EXPECT_TRUE(agent.runtime_containers().empty());
}

// A stop, a DELETE and a drain are saved before they are answered: a kill right after the
// answer loses none of them. The reasons arrive as raw %ff bytes, which must not make any
// later save of those tasks fail (they are stored as U+FFFD). Each task has a restart
// policy, which must not bring a stopped task back.
TEST(AgentRecovery, AcknowledgedStopsSurviveAKillRightAfterTheAnswer) {
  Agent agent(test_root("ack-stop"));
  agent.start();
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    auto c = probe_container("app", {"trap-term", "0"});
    c["restartPolicy"] = {{"enabled", true}, {"restartAttemptPeriod", 60}};
    ids.push_back(agent.run_task(task_definition("ack-" + std::to_string(i), json::array({c}))));
  }
  for (const auto& id : ids) agent.wait_status(id, "RUNNING");
  std::this_thread::sleep_for(300ms);  // the probes install their handlers
  auto r = agent.request("POST", "/v1/tasks/" + ids[0] + "/stop?reason=%ff", "");
  ASSERT_EQ(r.status, 202) << r.body;
  agent.kill(SIGKILL);
  agent.start();
  r = agent.request("DELETE", "/v1/tasks/" + ids[1] + "?reason=gone%ff", "");
  ASSERT_EQ(r.status, 202) << r.body;
  agent.kill(SIGKILL);
  agent.start();
  r = agent.request("POST", "/v1/drain?reason=drain%ffed", "");
  ASSERT_EQ(r.status, 202) << r.body;
  agent.kill(SIGKILL);
  agent.start();
  for (const auto& id : ids) {
    auto t = agent.wait_status(id, "STOPPED");
    // SIGTERM reached the probe (exit 0), not a SIGKILL after stopTimeout.
    EXPECT_EQ(container(t, "app")["exitCode"], 0) << t.dump(1);
    EXPECT_NE(t["stoppedReason"].get<std::string>().find("\xEF\xBF\xBD"), std::string::npos)
        << t.dump(1);
  }
  std::this_thread::sleep_for(2s);  // a restart policy would act within this
  for (const auto& id : ids) EXPECT_EQ(agent.task(id)["knownStatus"], "STOPPED");
}

// 20 SIGKILLs at random points while tasks start and stop. Afterwards every container the
// runtime knows is one the agent reports RUNNING (no orphans, no duplicates), and a drain
// leaves no container and no shim behind.
TEST(AgentRecovery, TwentyKillsDuringChurnLoseAndDuplicateNothing) {
  Agent agent(test_root("churn"));
  std::mt19937 rng(12345);
  std::vector<std::string> ids;
  agent.start();
  for (int round = 0; round < 20; ++round) {
    // A new task (two containers) and a stop of an older one, then a kill mid-flight.
    auto a = probe_container("a", {"sleep"});
    a["stopTimeout"] = 1;
    auto b = probe_container("b", {"trap-term", "0"});
    b["dependsOn"] = json::array({{{"containerName", "a"}, {"condition", "START"}}});
    auto id = agent.run_task(task_definition("churn", json::array({a, b})));
    if (!id.empty()) ids.push_back(id);
    if (ids.size() > 3) agent.stop_task(ids[rng() % (ids.size() - 1)], "churn");
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 120));
    agent.kill(SIGKILL);
    agent.start();
  }
  // Let the last recovery settle, then compare the agent's view with the runtime's.
  for (const auto& id : ids) {
    agent.wait_task(
        id,
        [](const json& t) {
          for (const auto& c : t["containers"]) {
            std::string s = c["knownStatus"];
            if (s != "RUNNING" && s != "STOPPED") return false;
          }
          return true;
        },
        60s, "settled");
  }
  std::multiset<std::string> reported;
  for (const auto& t : agent.request("GET", "/v1/tasks").json()) {
    for (const auto& c : t["containers"]) {
      if (c["knownStatus"] == "RUNNING") reported.insert(c["runtimeId"].get<std::string>());
    }
  }
  auto actual = agent.runtime_containers();
  EXPECT_EQ(std::set<std::string>(reported.begin(), reported.end()).size(), reported.size())
      << "a runtime id reported twice";
  EXPECT_EQ(std::vector<std::string>(reported.begin(), reported.end()), actual);
  // Each running container has exactly one live shim (a shim whose container was just
  // removed may take a moment to finish draining its pipes).
  for (int i = 0; i < 100 && shims_under(agent.root()).size() != actual.size(); ++i) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(shims_under(agent.root()).size(), actual.size());

  auto drain = agent.request("POST", "/v1/drain", R"({"reason":"end of churn"})");
  ASSERT_LT(drain.status, 300) << drain.body;
  for (const auto& id : ids) agent.wait_status(id, "STOPPED", 60s);
  EXPECT_TRUE(agent.runtime_containers().empty());
  for (int i = 0; i < 100 && !shims_under(agent.root()).empty(); ++i) {
    std::this_thread::sleep_for(50ms);
  }
  for (int pid : shims_under(agent.root())) {
    std::string stat, cmd;
    try {
      stat = read_file("/proc/" + std::to_string(pid) + "/stat");
      cmd = read_file("/proc/" + std::to_string(pid) + "/cmdline");
    } catch (const std::exception&) {
    }
    for (auto& ch : cmd) ch = ch == '\0' ? ' ' : ch;
    std::string related;
    std::istringstream log(agent.log_text());
    for (std::string line; std::getline(log, line);) {
      auto id_at = cmd.find("--id ");
      if (id_at != std::string::npos && line.find(cmd.substr(id_at + 5, 12)) != std::string::npos) {
        related += line + "\n";
      }
    }
    ADD_FAILURE() << "shim left behind: " << stat << " " << cmd << "\nagent log:\n" << related;
  }
}

TEST(AgentRecovery, FullStateDiskGivesAClearErrorAndKeepsExistingState) {
  Agent agent(test_root("disk-full"));
  auto tasks = agent.state() / "agent" / "tasks";
  fs::create_directories(tasks);
  ASSERT_EQ(::mount("tmpfs", tasks.c_str(), "tmpfs", 0, "size=256k"), 0) << strerror(errno);
  agent.start();
  auto c = probe_container("app", {"sleep"});
  c["stopTimeout"] = 1;
  auto first = agent.run_task(task_definition("before-full", json::array({c})));
  agent.wait_status(first, "RUNNING");

  auto filler = tasks / "filler";
  {
    std::ofstream out(filler);
    std::string block(4096, 'x');
    while (out.write(block.data(), block.size())) {
    }
  }
  auto reply =
      agent.request("POST", "/v1/tasks", task_definition("when-full", json::array({c})).dump());
  EXPECT_GE(reply.status, 400);
  EXPECT_NE(reply.body.find("No space left on device"), std::string::npos) << reply.body;
  EXPECT_NE(reply.body.find("task.json"), std::string::npos) << reply.body;
  // The running task's state is intact on disk and in the API.
  auto saved = json::parse(read_file(tasks / first / "task.json"));
  EXPECT_EQ(saved["knownStatus"], "RUNNING");
  EXPECT_EQ(agent.task(first)["knownStatus"], "RUNNING");
  EXPECT_EQ(agent.request("GET", "/v1/tasks").json().size(), 1u);

  fs::remove(filler);
  auto second = agent.run_task(task_definition("after-full", json::array({c})));
  agent.wait_status(second, "RUNNING");
}

TEST(AgentCleanup, StoppedTasksAreForgottenAfterTheCleanupWait) {
  Agent agent(test_root("cleanup"));
  agent.start({"SKIFF_TASK_CLEANUP_WAIT=2s"});
  auto id = agent.run_task(
      task_definition("short", json::array({probe_container("app", {"exit", "0"})})));
  agent.wait_status(id, "STOPPED");
  EXPECT_TRUE(fs::exists(agent.state() / "agent" / "tasks" / id / "task.json"));
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (agent.request("GET", "/v1/tasks/" + id).status != 404 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(agent.request("GET", "/v1/tasks/" + id).status, 404);
  EXPECT_FALSE(fs::exists(agent.state() / "agent" / "tasks" / id));
  // Gone for good: a restarted agent does not bring it back.
  agent.kill(SIGKILL);
  agent.start();
  EXPECT_EQ(agent.request("GET", "/v1/tasks/" + id).status, 404);
}

}  // namespace
}  // namespace skiff::test
