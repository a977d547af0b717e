// Services: desired count, rolling deployments checked against the recorded timeline, the
// circuit breaker, kill -9 of the control plane mid-deployment, disconnected instances.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "tests/controlplane/cp_fixture.h"

namespace skiff::test {
namespace {

using nlohmann::json;

class CpServices : public ::testing::Test {
 protected:
  void start(std::vector<std::string> args = {}) {
    cp = std::make_unique<ControlPlane>(std::move(args));
    cp->start();
    cp->admin().call("POST", "/v1/clusters", {{"name", "edge"}});
    pool = std::make_unique<AgentPool>(*cp);
  }
  void TearDown() override {
    pool.reset();
    if (HasFailure() && cp) std::cerr << cp->log();
  }
  std::vector<std::shared_ptr<sim::SimAgent>> agents(int n, sim::Mode mode = sim::Mode::kRun) {
    std::vector<std::shared_ptr<sim::SimAgent>> out;
    for (int i = 0; i < n; ++i) {
      out.push_back(pool->add("edge", "h" + std::to_string(i), "amd64", mode));
    }
    for (auto& a : out)
      EXPECT_TRUE(a->wait_for([](const sim::SimSnapshot& s) { return s.connected; }));
    return out;
  }
  json svc(const std::string& name = "web") {
    return cp->admin().call("GET", "/v1/clusters/edge/services/" + name);
  }
  json tasks(const std::string& name = "web") {
    return cp->admin().call("GET", "/v1/clusters/edge/tasks?service=" + name)["tasks"];
  }
  bool steady(const std::string& taskdef, std::size_t count, const std::string& name = "web") {
    auto s = svc(name);
    return s["deployments"].size() == 1 && s["deployments"][0]["taskDefinition"] == taskdef &&
           s["deployments"][0]["rolloutState"] == "COMPLETED" &&
           s["deployments"][0]["healthyCount"] == count;
  }
  json create_web(int desired, int min_pct, int max_pct, json breaker = nullptr) {
    json dc = {{"minimumHealthyPercent", min_pct}, {"maximumPercent", max_pct}};
    if (!breaker.is_null()) dc["deploymentCircuitBreaker"] = breaker;
    return cp->admin().call("POST", "/v1/clusters/edge/services",
                            {{"serviceName", "web"},
                             {"taskDefinition", "web:1"},
                             {"desiredCount", desired},
                             {"deregistrationDelaySeconds", 1},
                             {"deploymentConfiguration", dc}});
  }

  std::unique_ptr<ControlPlane> cp;
  std::unique_ptr<AgentPool> pool;
};

TEST_F(CpServices, ServiceKeepsTwoTasksAndReplacesStoppedOnes) {
  start();
  auto ags = agents(2);
  cp->admin().call("POST", "/v1/taskdefs", simple_taskdef("web", "demo:1", 18080));
  create_web(2, 50, 200);
  ASSERT_TRUE(eventually([&] { return steady("web:1", 2); }));
  auto s = svc();
  EXPECT_EQ(s["endpoints"].size(), 2U);
  EXPECT_NE(s["endpoints"][0].get<std::string>().find(":18080"), std::string::npos);
  // A task dies: the service replaces it.
  auto t = tasks()[0];
  for (auto& a : ags) {
    if (a->snapshot().tasks.count(t["id"]))
      a->report(t["id"], "STOPPED", "UNKNOWN", "Essential container in task exited", 137);
  }
  ASSERT_TRUE(eventually([&] {
    int running = 0;
    for (const auto& x : tasks()) running += x["lastStatus"] == "RUNNING" ? 1 : 0;
    return running == 2 && tasks().size() == 3;
  }));
  // Scale to 1, then delete.
  cp->admin().call("POST", "/v1/clusters/edge/services/web", {{"desiredCount", 1}});
  ASSERT_TRUE(eventually([&] { return steady("web:1", 1); }));
  cp->admin().call("DELETE", "/v1/clusters/edge/services/web");
  ASSERT_TRUE(eventually(
      [&] { return cp->admin().request("GET", "/v1/clusters/edge/services/web").status == 404; }));
  for (const auto& x : tasks()) EXPECT_EQ(x["lastStatus"], "STOPPED");
}

TEST_F(CpServices, RollingDeploymentNeverDropsBelowMinimumHealthy) {
  start();
  agents(4);
  cp->admin().call("POST", "/v1/taskdefs", simple_taskdef("web", "demo:1", 18080, true));
  cp->admin().call("POST", "/v1/taskdefs", simple_taskdef("web", "demo:2", 18080, true));
  create_web(2, 100, 200);
  ASSERT_TRUE(eventually([&] { return steady("web:1", 2); }));
  const auto from = cp->admin().call("GET", "/v1/clusters/edge/services/web")["deployments"][0];
  std::int64_t start_ms = 0;
  for (const auto& t : tasks())
    start_ms = std::max(start_ms, t["transitions"].back()["atMs"].get<std::int64_t>());
  cp->admin().call("POST", "/v1/clusters/edge/services/web", {{"taskDefinition", "web:2"}});
  ASSERT_TRUE(eventually([&] { return steady("web:2", 2); }, std::chrono::seconds(30)));
  ASSERT_TRUE(eventually([&] {
    for (const auto& t : tasks()) {
      if (t["revision"] == 1 && t["lastStatus"] != "STOPPED") return false;
    }
    return true;
  }));
  const auto all = tasks();
  ASSERT_EQ(all.size(), 4U);
  const auto timeline = healthy_timeline(all, start_ms);
  ASSERT_FALSE(timeline.empty());
  int peak = 0;
  for (const auto& [at, n] : timeline) {
    EXPECT_GE(n, 2) << "fewer than minimumHealthyPercent (100 %) healthy at " << at;
    peak = std::max(peak, n);
  }
  EXPECT_LE(peak, 4);  // maximumPercent 200 %
  // Old tasks: out of the endpoint set (DEACTIVATING), then STOPPING, then STOPPED.
  for (const auto& t : all) {
    if (t["revision"] != 1) continue;
    std::vector<std::string> seq;
    for (const auto& tr : t["transitions"]) {
      if (seq.empty() || seq.back() != tr["lastStatus"]) seq.push_back(tr["lastStatus"]);
    }
    EXPECT_EQ(std::vector<std::string>(seq.end() - 3, seq.end()),
              (std::vector<std::string>{"DEACTIVATING", "STOPPING", "STOPPED"}));
    EXPECT_NE(t["stoppedReason"].get<std::string>().find("deployment"), std::string::npos);
  }
  EXPECT_EQ(svc()["endpoints"].size(), 2U);
}

TEST_F(CpServices, CircuitBreakerRollsBack) {
  start();
  auto ags = agents(3);
  cp->admin().call("POST", "/v1/taskdefs", simple_taskdef("web", "demo:1"));
  cp->admin().call("POST", "/v1/taskdefs", simple_taskdef("web", "demo:broken"));
  for (auto& a : ags) a->set_mode("web:2", sim::Mode::kFail);
  create_web(2, 50, 200, {{"enable", true}, {"rollback", true}, {"threshold", 3}});
  ASSERT_TRUE(eventually([&] { return steady("web:1", 2); }));
  cp->admin().call("POST", "/v1/clusters/edge/services/web", {{"taskDefinition", "web:2"}});
  ASSERT_TRUE(eventually([&] {
    const auto events = svc()["events"];  // a copy: the temporary would die before the loop
    for (const auto& e : events) {
      if (e["message"].get<std::string>().find("circuit breaker tripped") != std::string::npos)
        return true;
    }
    return false;
  })) << svc().dump(1);
  ASSERT_TRUE(eventually([&] { return steady("web:1", 2); }, std::chrono::seconds(30)));
  bool rollback = false;
  const auto events = svc()["events"];
  for (const auto& e : events) {
    rollback = rollback || e["message"].get<std::string>().find("rollback") != std::string::npos;
  }
  EXPECT_TRUE(rollback);
  int failed = 0;
  for (const auto& t : tasks()) {
    if (t["revision"] == 2) {
      EXPECT_EQ(t["lastStatus"], "STOPPED");
      failed += t["failedStart"].get<bool>() ? 1 : 0;
    }
  }
  EXPECT_GE(failed, 3);
}

// A service whose tasks stop at once is relaunched ever more slowly (1 s, 2 s, 4 s, ...),
// with an event saying why, instead of at the tick's pace (88 tasks in 24 s were seen).
TEST_F(CpServices, AFailingServiceIsRelaunchedEverMoreSlowly) {
  start();
  auto ags = agents(1);
  cp->admin().call("POST", "/v1/taskdefs", simple_taskdef("web", "demo:1"));
  ags[0]->set_mode("web:1", sim::Mode::kFail);
  create_web(1, 0, 100);
  std::this_thread::sleep_for(std::chrono::seconds(8));
  // Launches at about 0, 1, 3 and 7 s; unthrottled, dozens.
  const auto n = tasks().size();
  EXPECT_GE(n, 2U);
  EXPECT_LE(n, 6U) << tasks().dump(1);
  bool said = false;
  const auto events = svc()["events"];
  for (const auto& e : events) {
    said = said || e["message"].get<std::string>().find(
                       "unable to consistently start tasks successfully") != std::string::npos;
  }
  EXPECT_TRUE(said) << events.dump(1);
  // A healthy task ends the throttle: the next launch is immediate again.
  ags[0]->set_mode("web:1", sim::Mode::kRun);
  ASSERT_TRUE(eventually([&] { return steady("web:1", 1); }, std::chrono::seconds(30)));
  EXPECT_EQ(svc()["failedStartsInARow"], 0);
}

TEST_F(CpServices, KillNineMidDeploymentThenRestartCompletes) {
  start();
  auto ags = agents(3);
  cp->admin().call("POST", "/v1/taskdefs", simple_taskdef("web", "demo:1"));
  cp->admin().call("POST", "/v1/taskdefs", simple_taskdef("web", "demo:2"));
  for (auto& a : ags) a->set_mode("web:2", sim::Mode::kManual);  // new tasks wait for us
  create_web(2, 100, 200);
  ASSERT_TRUE(eventually([&] { return steady("web:1", 2); }));
  cp->admin().call("POST", "/v1/clusters/edge/services/web", {{"taskDefinition", "web:2"}});
  ASSERT_TRUE(eventually([&] {
    int pending = 0;
    for (const auto& t : tasks())
      pending += (t["revision"] == 2 && t["lastStatus"] == "PENDING") ? 1 : 0;
    return pending == 2;
  }));
  const auto port = cp->port();
  cp->kill9();
  for (auto& a : ags)
    EXPECT_TRUE(a->wait_for([](const sim::SimSnapshot& s) { return !s.connected; }));
  cp->start(port);
  // State reloaded: the deployment is still in progress.
  auto s = svc();
  EXPECT_EQ(s["deployments"].size(), 2U);
  EXPECT_EQ(s["taskDefinition"], "web:2");
  for (auto& a : ags) {
    EXPECT_TRUE(
        a->wait_for([](const sim::SimSnapshot& x) { return x.connected && x.connects >= 2; }));
  }
  // The new tasks come up healthy now; the deployment completes.
  for (auto& a : ags) {
    for (const auto& [id, t] : a->snapshot().tasks) {
      if (t.revision == 2) a->report(id, "RUNNING", "HEALTHY");
    }
  }
  ASSERT_TRUE(eventually([&] { return steady("web:2", 2); }, std::chrono::seconds(30)));
  for (const auto& t : tasks()) {
    if (t["revision"] == 1) {
      EXPECT_TRUE(eventually([&] {
        return cp->admin().call("GET", "/v1/tasks/" + t["id"].get<std::string>())["lastStatus"] ==
               "STOPPED";
      }));
    }
  }
}

TEST_F(CpServices, DisconnectedInstanceTasksReplacedDuplicatesStoppedOnReturn) {
  start({"--disconnect-timeout", "1"});
  auto ags = agents(2);
  cp->admin().call("POST", "/v1/taskdefs", simple_taskdef("web", "demo:1"));
  create_web(1, 0, 200);
  ASSERT_TRUE(eventually([&] { return steady("web:1", 1); }));
  const auto first = tasks()[0]["id"].get<std::string>();
  auto holder = ags[0]->snapshot().tasks.count(first) ? ags[0] : ags[1];
  auto other = holder == ags[0] ? ags[1] : ags[0];
  holder->stop();
  ASSERT_TRUE(eventually([&] {
    for (const auto& [id, t] : other->snapshot().tasks) {
      if (t.knownStatus == "RUNNING") return true;
    }
    return false;
  }));
  EXPECT_TRUE(cp->admin().call("GET", "/v1/tasks/" + first)["lost"].get<bool>());
  EXPECT_TRUE(holder->snapshot().tasks.at(first).knownStatus == "RUNNING");  // still running there
  holder->start();
  ASSERT_TRUE(holder->wait_for(
      [&](const sim::SimSnapshot& s) { return s.tasks.at(first).knownStatus == "STOPPED"; }));
  ASSERT_TRUE(eventually(
      [&] { return cp->admin().call("GET", "/v1/tasks/" + first)["lastStatus"] == "STOPPED"; }));
  EXPECT_TRUE(steady("web:1", 1));
}

TEST_F(CpServices, DrainingAnInstanceMovesItsServiceTasks) {
  start();
  auto ags = agents(3);
  cp->admin().call("POST", "/v1/taskdefs", simple_taskdef("web", "demo:1"));
  create_web(2, 50, 200);
  ASSERT_TRUE(eventually([&] { return steady("web:1", 2); }));
  const auto victim = tasks()[0];
  const auto inst = victim["instanceId"].get<std::string>();
  EXPECT_EQ(cp->admin().call("POST", "/v1/instances/" + inst + "/drain")["status"], "DRAINING");
  ASSERT_TRUE(eventually([&] {
    return cp->admin().call("GET", "/v1/tasks/" + victim["id"].get<std::string>())["lastStatus"] ==
           "STOPPED";
  }));
  ASSERT_TRUE(eventually([&] {
    int running = 0;
    for (const auto& t : tasks()) {
      if (t["lastStatus"] != "RUNNING") continue;
      ++running;
      EXPECT_NE(t["instanceId"], inst);
    }
    return running == 2;
  }));
}

}  // namespace
}  // namespace skiff::test
