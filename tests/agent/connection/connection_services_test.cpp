// Services on real agents: a rolling deployment checked against the recorded timeline, the
// circuit breaker on an image that cannot be pulled, and kill -9 of an agent or of the
// control plane in the middle of a deployment.
#include <signal.h>

#include <algorithm>
#include <set>

#include "connection_fixture.h"

namespace skiff::test {
namespace {

// Revision n of "web": a probe that exits on SIGTERM with a health check (first probe 5 s
// after start, so a new task is unhealthy for a while). The revisions differ by exit code.
json web(int n) {
  return cp_taskdef("web", json::array({probe_app({"trap-term", std::to_string(n)}, true)}));
}

std::vector<json> revision(const json& tasks, int rev) {
  std::vector<json> out;
  for (const auto& t : tasks) {
    if (t["revision"] == rev) out.push_back(t);
  }
  return out;
}

bool all_stopped(const std::vector<json>& tasks) {
  return std::all_of(tasks.begin(), tasks.end(),
                     [](const json& t) { return t["lastStatus"] == "STOPPED"; });
}

bool has_event(const json& service, const std::string& text) {
  for (const auto& e : service["events"]) {
    if (e["message"].get<std::string>().find(text) != std::string::npos) return true;
  }
  return false;
}

// The agent side of finished old tasks: STOPPED, the process gone, the container deleted.
void expect_gone_on_agents(ConnectionTest& f, const std::vector<json>& old,
                           const std::map<std::string, json>& before) {
  for (const auto& t : old) {
    const std::string id = t["id"];
    const int i = f.agent_index(t["instanceId"].get<std::string>());
    ASSERT_GE(i, 0);
    const auto v = f.wait_agent_status(i, id, "STOPPED", 30s);
    const auto& was = container(before.at(id), "app");
    EXPECT_FALSE(process_alive(was["pid"].get<int>())) << id;
    const std::string rid = was["runtimeId"];
    EXPECT_TRUE(eventually(
        [&] {
          const auto ids = f.agent(i).runtime_containers();
          return std::find(ids.begin(), ids.end(), rid) == ids.end();
        },
        20s))
        << "container " << rid << " of " << id << " still exists";
    EXPECT_EQ(container(v, "app")["exitCode"], t["revision"].get<int>()) << v.dump(1);
  }
}

// b. Rolling deployment, minimumHealthyPercent 100 / maximumPercent 200.
TEST_F(ConnectionTest, RollingDeploymentNeverDropsBelowMinimumHealthy) {
  start(2);
  add_agent(0);
  add_agent(1);
  ASSERT_FALSE(HasFailure());
  const auto v1 = register_taskdef(web(1));
  const auto v2 = register_taskdef(web(2));
  create_service(v1, 2, 100, 200);
  ASSERT_TRUE(eventually([&] { return steady(v1, 2); }, 60s)) << svc().dump(1);
  std::map<std::string, json> before;
  std::int64_t start_ms = 0;
  for (const auto& t : cp_tasks("web")) {
    const std::string id = t["id"];
    before[id] = agent_view(t);
    EXPECT_EQ(before[id]["knownStatus"], "RUNNING");
    start_ms = std::max(start_ms, t["transitions"].back()["atMs"].get<std::int64_t>());
  }
  ASSERT_EQ(before.size(), 2U);

  admin("POST", "/v1/clusters/edge/services/web", {{"taskDefinition", v2}});
  ASSERT_TRUE(eventually([&] { return steady(v2, 2); }, 90s)) << svc().dump(1);
  ASSERT_TRUE(eventually([&] { return all_stopped(revision(cp_tasks("web"), 1)); }, 30s));
  const auto all = cp_tasks("web");
  ASSERT_EQ(all.size(), 4U) << all.dump(1);
  ASSERT_EQ(revision(all, 1).size(), 2U);
  const auto timeline = healthy_timeline(all, start_ms);
  ASSERT_FALSE(timeline.empty());
  int peak = 0;
  for (const auto& [at, n] : timeline) {
    EXPECT_GE(n, 2) << "fewer than minimumHealthyPercent (100 %) healthy at " << at;
    peak = std::max(peak, n);
  }
  EXPECT_LE(peak, 4);  // maximumPercent 200 %
  for (const auto& t : revision(all, 1)) {
    const auto seq = status_sequence(t);
    ASSERT_GE(seq.size(), 3U) << t.dump(1);
    EXPECT_EQ(std::vector<std::string>(seq.end() - 3, seq.end()),
              (std::vector<std::string>{"DEACTIVATING", "STOPPING", "STOPPED"}))
        << t.dump(1);
    EXPECT_NE(t["stoppedReason"].get<std::string>().find("deployment"), std::string::npos);
  }
  expect_gone_on_agents(*this, revision(all, 1), before);
  for (const auto& t : revision(all, 2)) {
    const auto v = agent_view(t);
    EXPECT_EQ(v["knownStatus"], "RUNNING") << v.dump(1);
    EXPECT_EQ(v["health"], "HEALTHY") << v.dump(1);
  }
}

// c. Revision 2's image does not exist: its tasks stop on the agents (pull error), the
// circuit breaker trips and the service rolls back to revision 1.
TEST_F(ConnectionTest, CircuitBreakerRollsBackWhenTheImageCannotBePulled) {
  start(2);
  add_agent(0);
  add_agent(1);
  ASSERT_FALSE(HasFailure());
  const auto v1 = register_taskdef(web(1));
  auto broken = web(2);
  broken["containerDefinitions"][0]["image"] = "localhost/skiff-no-such-image:2";
  const auto v2 = register_taskdef(broken);
  create_service(v1, 2, 100, 200, {{"enable", true}, {"rollback", true}, {"threshold", 3}});
  ASSERT_TRUE(eventually([&] { return steady(v1, 2); }, 60s)) << svc().dump(1);
  admin("POST", "/v1/clusters/edge/services/web", {{"taskDefinition", v2}});
  ASSERT_TRUE(eventually([&] { return has_event(svc(), "circuit breaker tripped"); }, 90s))
      << svc().dump(1);
  ASSERT_TRUE(eventually([&] { return steady(v1, 2); }, 60s)) << svc().dump(1);
  EXPECT_TRUE(has_event(svc(), "rollback")) << svc().dump(1);
  const auto all = cp_tasks("web");
  int failed = 0, pull_errors = 0;
  for (const auto& t : revision(all, 2)) {
    EXPECT_EQ(t["lastStatus"], "STOPPED") << t.dump(1);
    failed += t["failedStart"].get<bool>() ? 1 : 0;
    const auto v = agent_view(t);
    EXPECT_EQ(v["knownStatus"], "STOPPED") << v.dump(1);
    // A task the rollback stopped while it was still pulling says so instead.
    pull_errors += container(v, "app")["reason"].get<std::string>().find(
                       "CannotPullContainerError") != std::string::npos;
  }
  EXPECT_GE(failed, 3);
  EXPECT_GE(pull_errors, 3);
  int healthy = 0;
  for (const auto& t : revision(all, 1)) {
    if (t["lastStatus"] != "RUNNING") continue;
    const auto v = agent_view(t);
    healthy += v["knownStatus"] == "RUNNING" && v["health"] == "HEALTHY" ? 1 : 0;
  }
  EXPECT_EQ(healthy, 2);
}

// e1. kill -9 of an agent mid-deployment: its containers live on (same pids), the restarted
// agent adopts them, reconnects, and the deployment completes.
TEST_F(ConnectionTest, AgentKilledMidDeploymentKeepsItsContainersAndTheDeploymentCompletes) {
  start(3);
  for (int i = 0; i < 3; ++i) add_agent(i);
  ASSERT_FALSE(HasFailure());
  const auto v1 = register_taskdef(web(1));
  const auto v2 = register_taskdef(web(2));
  create_service(v1, 2, 100, 200);
  ASSERT_TRUE(eventually([&] { return steady(v1, 2); }, 60s)) << svc().dump(1);
  const auto victim = agent_index(cp_tasks("web")[0]["instanceId"].get<std::string>());
  ASSERT_GE(victim, 0);
  admin("POST", "/v1/clusters/edge/services/web", {{"taskDefinition", v2}});
  // Revision 2 is placed but not healthy yet (first health check after 5 s): kill now.
  ASSERT_TRUE(eventually([&] { return revision(cp_tasks("web"), 2).size() == 2; }, 30s));
  std::map<std::string, int> pids;  // task -> container pid, for the victim's live tasks
  for (const auto& t : agent(victim).request("GET", "/v1/tasks").json()) {
    if (t["knownStatus"] == "RUNNING") {
      pids[t["taskId"].get<std::string>()] = container(t, "app")["pid"].get<int>();
    }
  }
  ASSERT_FALSE(pids.empty());
  agent(victim).kill(SIGKILL);
  for (const auto& [id, pid] : pids) EXPECT_TRUE(process_alive(pid)) << id;
  restart_agent(victim);
  ASSERT_FALSE(HasFatalFailure());
  int adopted = 0;
  for (const auto& [id, pid] : pids) {
    const auto t = agent(victim).task(id);
    if (t["knownStatus"] != "RUNNING") continue;
    ++adopted;
    EXPECT_EQ(container(t, "app")["pid"], pid) << t.dump(1);
    EXPECT_EQ(container(t, "app")["restartCount"], 0) << t.dump(1);
  }
  EXPECT_GE(adopted, 1) << "no task of the killed agent was running after its restart";
  wait_connected(victim, true);
  ASSERT_TRUE(eventually([&] { return steady(v2, 2); }, 90s)) << svc().dump(1);
  ASSERT_TRUE(eventually([&] { return all_stopped(revision(cp_tasks("web"), 1)); }, 30s));
  for (const auto& t : cp_tasks("web")) {
    const auto v = agent_view(t);
    EXPECT_EQ(v["knownStatus"], t["lastStatus"] == "STOPPED" ? "STOPPED" : "RUNNING") << v.dump(1);
    // Whatever survived on the victim is still the container from before the kill.
    const std::string id = t["id"];
    if (pids.count(id) && t["lastStatus"] == "RUNNING") {
      EXPECT_EQ(container(v, "app")["pid"], pids[id]);
    }
  }
}

// e2. kill -9 of the control plane mid-deployment; restarted on the same port and data, the
// agents reconnect and the deployment completes.
TEST_F(ConnectionTest, ControlPlaneKilledMidDeploymentRestartsAndTheDeploymentCompletes) {
  start(2);
  add_agent(0);
  add_agent(1);
  ASSERT_FALSE(HasFailure());
  const auto v1 = register_taskdef(web(1));
  const auto v2 = register_taskdef(web(2));
  create_service(v1, 2, 100, 200);
  ASSERT_TRUE(eventually([&] { return steady(v1, 2); }, 60s)) << svc().dump(1);
  admin("POST", "/v1/clusters/edge/services/web", {{"taskDefinition", v2}});
  ASSERT_TRUE(eventually([&] { return revision(cp_tasks("web"), 2).size() == 2; }, 30s));
  const auto port = cp->port();
  cp->kill9();
  wait_connected(0, false);
  wait_connected(1, false);
  cp->start(port);
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(svc()["taskDefinition"], v2);  // the deployment survived the kill
  wait_connected(0, true, 60s);
  wait_connected(1, true, 60s);
  ASSERT_TRUE(eventually([&] { return steady(v2, 2); }, 90s)) << svc().dump(1);
  ASSERT_TRUE(eventually([&] { return all_stopped(revision(cp_tasks("web"), 1)); }, 30s));
  for (const auto& t : cp_tasks("web")) {
    const auto v = agent_view(t);
    if (t["revision"] == 1) {
      EXPECT_EQ(v["knownStatus"], "STOPPED") << v.dump(1);
    } else {
      EXPECT_EQ(v["knownStatus"], "RUNNING") << v.dump(1);
      EXPECT_EQ(t["lastStatus"], "RUNNING");
    }
  }
}

}  // namespace
}  // namespace skiff::test
