// The agent end to end: real skiff-agent, skiff-shim, skiff-runtime and containers.
#include <gtest/gtest.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "agent_harness.h"

namespace skiff::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class AgentLifecycle : public ::testing::Test {
 protected:
  void SetUp() override {
    agent_ = std::make_unique<Agent>(std::filesystem::path("/run") /
                                     ("skiff-agent-test-" + std::to_string(::getpid())));
    agent_->start();
  }
  void TearDown() override { agent_.reset(); }
  Agent& agent() { return *agent_; }

  std::unique_ptr<Agent> agent_;
};

TEST_F(AgentLifecycle, RunsATaskAndStopsItWithSigtermWithinTheTimeout) {
  auto c = probe_container("app", {"trap-term", "7"});
  c["stopTimeout"] = 20;
  auto id = agent().run_task(task_definition("graceful", json::array({c})));
  auto t = agent().wait_status(id, "RUNNING");
  EXPECT_EQ(container(t, "app")["knownStatus"], "RUNNING");
  EXPECT_GT(container(t, "app")["pid"].get<int>(), 0);
  // The probe prints "waiting" once its handler is in place; only then is SIGTERM caught.
  agent().wait_task(
      id,
      [&](const json&) {
        auto logs = agent().request("GET", "/v1/tasks/" + id + "/containers/app/logs");
        return logs.body.find("waiting") != std::string::npos;
      },
      20s, "the probe's handler");

  agent().stop_task(id, "graceful test");
  t = agent().wait_status(id, "STOPPED");
  const auto& app = container(t, "app");
  EXPECT_EQ(app["exitCode"], 7) << t.dump(1);  // the probe's own exit after SIGTERM
  EXPECT_FALSE(app["killNeeded"].get<bool>());
  EXPECT_NE(app["reason"].get<std::string>().find("signal 15"), std::string::npos) << app;
  EXPECT_EQ(t["stoppedReason"], "graceful test");
  EXPECT_TRUE(agent().runtime_containers().empty());
}

TEST_F(AgentLifecycle, IgnoredSigtermIsFollowedBySigkillAfterStopTimeout) {
  auto c = probe_container("stubborn", {"ignore-term"});
  c["stopTimeout"] = 2;
  auto id = agent().run_task(task_definition("stubborn", json::array({c})));
  agent().wait_status(id, "RUNNING");
  agent().wait_task(
      id,
      [&](const json&) {
        return agent()
                   .request("GET", "/v1/tasks/" + id + "/containers/stubborn/logs")
                   .body.find("waiting") != std::string::npos;
      },
      20s, "the probe ignoring SIGTERM");
  agent().stop_task(id);
  auto t = agent().wait_status(id, "STOPPED", 30s);
  const auto& s = container(t, "stubborn");
  EXPECT_TRUE(s["killNeeded"].get<bool>()) << s;
  EXPECT_EQ(s["exitCode"], 137) << s;
  EXPECT_NE(s["reason"].get<std::string>().find("SIGKILL"), std::string::npos) << s;
}

TEST_F(AgentLifecycle, InitProcessEnabledRunsTheHostsInitAsPid1) {
  // catatonit comes with podman (scripts/setup.sh); the agent finds it by itself.
  auto c = probe_container("app", {});
  c["command"] = json::array({"sh", "-c", "tr '\\0' ' ' </proc/1/cmdline; echo; sleep 600"});
  c["linuxParameters"] = {{"initProcessEnabled", true}};
  c["stopTimeout"] = 5;
  auto id = agent().run_task(task_definition("init", json::array({c})));
  agent().wait_status(id, "RUNNING");
  std::string log;
  agent().wait_task(
      id,
      [&](const json&) {
        log = agent().request("GET", "/v1/tasks/" + id + "/containers/app/logs").body;
        return log.find("/dev/init") != std::string::npos;
      },
      20s, "PID 1's command line in the log");
  EXPECT_NE(log.find("/dev/init -- sh -c"), std::string::npos) << log;
  // The init forwards SIGTERM to the shell, so the stop is graceful, not a SIGKILL.
  agent().stop_task(id);
  auto t = agent().wait_status(id, "STOPPED", 30s);
  EXPECT_FALSE(container(t, "app")["killNeeded"].get<bool>()) << t.dump(1);
}

TEST_F(AgentLifecycle, EssentialContainerExitStopsTheTask) {
  auto worker = probe_container("worker", {"sleep"});
  worker["stopTimeout"] = 2;
  auto main = probe_container("main", {"exit", "5"});
  main["dependsOn"] = json::array({{{"containerName", "worker"}, {"condition", "START"}}});
  auto id = agent().run_task(task_definition("essential", json::array({worker, main})));
  auto t = agent().wait_status(id, "STOPPED", 60s);
  EXPECT_EQ(t["stoppedReason"], "Essential container in task exited");
  EXPECT_EQ(container(t, "main")["exitCode"], 5);
  EXPECT_EQ(container(t, "worker")["knownStatus"], "STOPPED");
  // The sleeper is PID 1 of its namespace: SIGTERM has no default action there, so the
  // agent had to SIGKILL it after its 2 s stopTimeout.
  EXPECT_TRUE(container(t, "worker")["killNeeded"].get<bool>());
}

TEST_F(AgentLifecycle, DependsOnSuccessOrdersStartsAndShutdownIsReversed) {
  auto init = probe_container("init", {"exit", "0"});
  init["essential"] = false;
  auto app = probe_container("app", {"trap-term", "0"});
  app["dependsOn"] = json::array({{{"containerName", "init"}, {"condition", "SUCCESS"}}});
  auto side = probe_container("side", {"trap-term", "0"});
  side["dependsOn"] = json::array({{{"containerName", "app"}, {"condition", "START"}}});
  auto id = agent().run_task(task_definition("ordered", json::array({side, app, init})));
  auto t = agent().wait_status(id, "RUNNING");
  EXPECT_EQ(container(t, "init")["exitCode"], 0);
  EXPECT_GE(container(t, "app")["startedAt"].get<std::string>(),
            container(t, "init")["finishedAt"].get<std::string>());
  t = agent().wait_task(
      id, [](const json& v) { return container(v, "side")["knownStatus"] == "RUNNING"; }, 30s,
      "side running");
  EXPECT_GE(container(t, "side")["startedAt"].get<std::string>(),
            container(t, "app")["startedAt"].get<std::string>());
  std::this_thread::sleep_for(300ms);  // let the probes install their handlers
  agent().stop_task(id);
  t = agent().wait_status(id, "STOPPED");
  // side depends on app: it stops first.
  EXPECT_LE(container(t, "side")["finishedAt"].get<std::string>(),
            container(t, "app")["finishedAt"].get<std::string>());
}

TEST_F(AgentLifecycle, FailedSuccessDependencyStopsTheTaskWithAReason) {
  auto init = probe_container("init", {"exit", "3"});
  init["essential"] = false;
  auto app = probe_container("app", {"sleep"});
  app["dependsOn"] = json::array({{{"containerName", "init"}, {"condition", "SUCCESS"}}});
  auto id = agent().run_task(task_definition("failed-dep", json::array({init, app})));
  auto t = agent().wait_status(id, "STOPPED");
  const auto& a = container(t, "app");
  EXPECT_EQ(a["startedAt"], "") << "app must never start";
  EXPECT_NE(a["reason"].get<std::string>().find("DependencyError"), std::string::npos) << a;
  EXPECT_NE(a["reason"].get<std::string>().find("code 3"), std::string::npos) << a;
}

TEST_F(AgentLifecycle, StartTimeoutBelongsToTheDependency) {
  // ECS's container-ordering-timedout: app waits for dep to COMPLETE, dep never exits, and
  // dep's own startTimeout, counted from dep's start, bounds the wait. Past it dep is
  // stopped and app fails; app's own (long) startTimeout plays no part.
  auto dep = probe_container("dep", {"sleep"});
  dep["essential"] = false;
  dep["startTimeout"] = 2;
  dep["stopTimeout"] = 1;
  auto app = probe_container("app", {"sleep"});
  app["startTimeout"] = 120;
  app["dependsOn"] = json::array({{{"containerName", "dep"}, {"condition", "COMPLETE"}}});
  auto id = agent().run_task(task_definition("ordering-timeout", json::array({dep, app})));
  auto t = agent().wait_status(id, "STOPPED", 60s);
  const auto& a = container(t, "app");
  EXPECT_EQ(a["startedAt"], "") << "app must never start";
  const std::string reason = a["reason"].get<std::string>();
  EXPECT_NE(reason.find("DependencyTimeout"), std::string::npos) << a;
  EXPECT_NE(reason.find("dep's startTimeout 2s"), std::string::npos) << a;
  const auto& d = container(t, "dep");
  EXPECT_EQ(d["knownStatus"], "STOPPED");
  EXPECT_NE(d["startedAt"], "");
  // The sleeper is PID 1 of its namespace and ignores SIGTERM: killed after stopTimeout.
  EXPECT_TRUE(d["killNeeded"].get<bool>()) << d;
}

TEST_F(AgentLifecycle, HealthCheckTurnsUnhealthyAndHealthy) {
  auto good = probe_container("good", {"sleep"});
  good["healthCheck"] = {
      {"command", {"CMD-SHELL", "test -d /bin"}}, {"interval", 5}, {"retries", 1}};
  good["stopTimeout"] = 1;
  auto bad = probe_container("bad", {"sleep"});
  bad["essential"] = false;
  bad["healthCheck"] = {{"command", {"CMD", "/bin/false"}}, {"interval", 5}, {"retries", 2}};
  bad["stopTimeout"] = 1;
  auto id = agent().run_task(task_definition("health", json::array({good, bad})));
  auto t = agent().wait_task(
      id,
      [](const json& v) {
        return container(v, "good")["health"] == "HEALTHY" &&
               container(v, "bad")["health"] == "UNHEALTHY";
      },
      40s, "good HEALTHY and bad UNHEALTHY");
  EXPECT_EQ(t["knownStatus"], "RUNNING");  // an unhealthy non-essential container is reported only
  EXPECT_EQ(t["health"], "HEALTHY");
}

TEST_F(AgentLifecycle, HealthCheckOptionsReachTheCommand) {
  // `exec ID CMD -h` once printed the runtime's help and exited 0: a check that fails was
  // reported HEALTHY without ever running. Everything after the id is the command's.
  auto bad = probe_container("bad", {"sleep"});
  bad["healthCheck"] = {
      {"command", {"CMD", "/bin/sh", "-c", "exit 1", "-h"}}, {"interval", 5}, {"retries", 1}};
  bad["essential"] = false;
  bad["stopTimeout"] = 1;
  auto good = probe_container("good", {"sleep"});
  good["healthCheck"] = {
      {"command", {"CMD", "/bin/sh", "-c", "test \"$0$1\" = --help-h", "--help", "-h"}},
      {"interval", 5},
      {"retries", 1}};
  good["stopTimeout"] = 1;
  auto id = agent().run_task(task_definition("health-argv", json::array({good, bad})));
  agent().wait_task(
      id,
      [](const json& v) {
        return container(v, "good")["health"] == "HEALTHY" &&
               container(v, "bad")["health"] == "UNHEALTHY";
      },
      40s, "good HEALTHY and bad UNHEALTHY");
}

TEST_F(AgentLifecycle, OutOfMemoryKillIsReportedAsSuch) {
  auto hog = probe_container("hog", {"alloc", "256"});
  hog["memory"] = 32;
  auto id = agent().run_task(task_definition("oom", json::array({hog})));
  auto t = agent().wait_status(id, "STOPPED", 60s);
  const auto& h = container(t, "hog");
  EXPECT_EQ(h["reason"], "OutOfMemoryError: Container killed due to memory usage") << h;
  EXPECT_TRUE(h["oomKilled"].get<bool>());
  EXPECT_EQ(h["exitCode"], 137);
}

TEST_F(AgentLifecycle, RestartPolicyRestartsOnlyAfterTheAttemptPeriod) {
  // Exits after 61 s: past the 60 s restartAttemptPeriod, so it is restarted in place; the
  // quick one exits at once and is not.
  auto slow = probe_container("slow", {"sleep", "61"});
  slow["restartPolicy"] = {{"enabled", true}, {"restartAttemptPeriod", 60}};
  slow["stopTimeout"] = 1;
  auto quick = probe_container("quick", {"exit", "4"});
  quick["essential"] = false;
  quick["restartPolicy"] = {{"enabled", true}, {"restartAttemptPeriod", 60}};
  auto id = agent().run_task(task_definition("restart", json::array({slow, quick})));
  auto t = agent().wait_task(
      id,
      [](const json& v) {
        return container(v, "slow")["restartCount"] == 1 &&
               container(v, "slow")["knownStatus"] == "RUNNING";
      },
      120s, "slow restarted once");
  EXPECT_EQ(t["knownStatus"], "RUNNING");
  EXPECT_EQ(container(t, "quick")["knownStatus"], "STOPPED");
  EXPECT_EQ(container(t, "quick")["restartCount"], 0);
  EXPECT_NE(container(t, "quick")["reason"].get<std::string>().find("restartAttemptPeriod"),
            std::string::npos);
}

CommandResult skiffctl(const Agent& agent, const std::string& args) {
  return run_command(std::string(SKIFF_SKIFFCTL) + " --socket " + agent.socket().string() + " " +
                     args + " 2>&1");
}

// `skiffctl run --wait` returns once the task runs, as `podman run -d` does once the
// container runs; a task that cannot start makes it fail with the container's reason.
TEST_F(AgentLifecycle, SkiffctlRunWaitReturnsOnceTheTaskRuns) {
  auto good = agent().root() / "waits.json";
  std::ofstream(good) << task_definition("waits",
                                         json::array({probe_container("app", {"trap-term"})}));
  CommandResult r = skiffctl(agent(), "run --wait " + good.string());
  ASSERT_EQ(r.code, 0) << r.output;
  std::string id = r.output.substr(0, r.output.find('\n'));
  json t = agent().task(id);  // at once: no waiting here
  EXPECT_EQ(t["knownStatus"], "RUNNING") << t.dump(1);
  EXPECT_GT(container(t, "app")["pid"].get<int>(), 0) << t.dump(1);

  json broken = probe_container("app", {});
  broken["command"] = json::array({"/nonexistent"});
  auto bad = agent().root() / "fails.json";
  std::ofstream(bad) << task_definition("fails", json::array({broken}));
  r = skiffctl(agent(), "run --wait " + bad.string());
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("stopped before it ran"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("/nonexistent"), std::string::npos) << r.output;
  agent().stop_task(id);
  agent().wait_status(id, "STOPPED");
}

TEST_F(AgentLifecycle, BadTaskDefinitionsAreRefusedNamingTheField) {
  struct Case {
    std::string body;
    std::string expect;
  } cases[] = {
      {R"({"family":"x","memory":"512","containerDefinitions":[{"name":"a"}]})",
       "containerDefinitions[0].image"},
      {R"({"family":"x","memory":"512","containerDefinitions":[{"name":"a","image":"i","memory":"lots"}]})",
       "containerDefinitions[0].memory"},
      {R"({"family":"x","memory":"512","containerDefinitions":[{"name":"a","image":"i"},{"name":"a","image":"i"}]})",
       "containerDefinitions[1].name"},
      {R"({"family":"x","memory":"512","containerDefinitions":[{"name":"a","image":"i","healthCheck":{"command":["CMD","true"],"retries":0}}]})",
       "containerDefinitions[0].healthCheck.retries"},
      {R"({"family":"x","memory":"512","containerDefinitions":[{"name":"a","image":"i","dependsOn":[{"containerName":"b","condition":"START"}]},{"name":"b","image":"i","dependsOn":[{"containerName":"a","condition":"START"}]}]})",
       "cycle"},
      {R"({"family":)", "JSON"},
      // A field ECS does not define is a misspelling, refused with the nearest name.
      {R"({"family":"x","memory":"512","containerDefinitions":[{"name":"a","image":"i","commnd":["sh"]}]})",
       // (the body is JSON: the suggestion's quotes arrive escaped)
       R"(containerDefinitions[0].commnd: is not a field of an ECS task definition (did you mean \"command\"?))"},
  };
  for (const auto& c : cases) {
    auto reply = agent().request("POST", "/v1/tasks", c.body);
    EXPECT_EQ(reply.status, 400) << c.body;
    EXPECT_NE(reply.body.find(c.expect), std::string::npos) << reply.body;
  }
  EXPECT_EQ(agent().request("GET", "/v1/tasks").json().size(), 0u);
  EXPECT_EQ(agent().request("GET", "/v1/tasks/nosuchtask").status, 404);
}

TEST_F(AgentLifecycle, ATaskForAnotherCpuIsRefused) {
  utsname u{};
  ::uname(&u);
  const std::string other = std::string(u.machine) == "aarch64" ? "X86_64" : "ARM64";
  json def = task_definition("elsewhere", json::array({probe_container("app", {"sleep"})}));
  def["runtimePlatform"] = {{"cpuArchitecture", other}, {"operatingSystemFamily", "LINUX"}};
  auto reply = agent().request("POST", "/v1/tasks", def.dump());
  EXPECT_EQ(reply.status, 400) << reply.body;
  EXPECT_NE(reply.body.find("runtimePlatform.cpuArchitecture: " + other), std::string::npos)
      << reply.body;
  EXPECT_EQ(agent().request("GET", "/v1/tasks").json().size(), 0u);
}

}  // namespace
}  // namespace skiff::test
