// Running, stopping and placing tasks on simulated agents through a real control plane.
#include <gtest/gtest.h>

#include <set>

#include "tests/controlplane/cp_fixture.h"

namespace skiff::test {
namespace {

using nlohmann::json;

class CpTasks : public ::testing::Test {
 protected:
  void SetUp() override {
    cp.start();
    cp.admin().call("POST", "/v1/clusters", {{"name", "edge"}});
  }
  json task(const std::string& id) { return cp.admin().call("GET", "/v1/tasks/" + id); }
  ControlPlane cp;
};

TEST_F(CpTasks, RunTaskReachesTheAgentAndRunningShowsInTheApi) {
  AgentPool pool(cp);
  auto agent = pool.add("edge", "h1", "amd64", sim::Mode::kManual);
  ASSERT_TRUE(agent->wait_for([](const sim::SimSnapshot& s) { return s.connected; }));
  auto td = cp.admin().call("POST", "/v1/taskdefs", simple_taskdef("web", "demo:1"));
  EXPECT_EQ(td["revision"], 1);
  auto run = cp.admin().call("POST", "/v1/clusters/edge/tasks", {{"taskDefinition", "web:1"}});
  ASSERT_EQ(run["tasks"].size(), 1U) << run.dump();
  const auto id = run["tasks"][0]["id"].get<std::string>();
  ASSERT_TRUE(agent->wait_for([&](const sim::SimSnapshot& s) { return s.tasks.count(id); }));
  EXPECT_EQ(agent->snapshot().tasks.at(id).desiredStatus, "RUNNING");
  EXPECT_TRUE(eventually([&] { return task(id)["lastStatus"] == "PENDING"; }));  // acked
  agent->report(id, "RUNNING", "HEALTHY");
  EXPECT_TRUE(eventually([&] { return task(id)["lastStatus"] == "RUNNING"; }));
  auto t = task(id);
  EXPECT_EQ(t["healthStatus"], "HEALTHY");
  EXPECT_EQ(t["containers"][0]["name"], "app");
  std::vector<std::string> statuses;
  for (const auto& tr : t["transitions"]) statuses.push_back(tr["lastStatus"]);
  EXPECT_EQ(statuses, (std::vector<std::string>{"PROVISIONING", "PENDING", "RUNNING"}));
  for (const auto& tr : t["transitions"]) EXPECT_FALSE(tr["at"].get<std::string>().empty());
  // Capacity accounting.
  auto inst = cp.admin().call("GET", "/v1/instances/" + t["instanceId"].get<std::string>());
  EXPECT_EQ(inst["used"]["cpu"], 256);
  EXPECT_EQ(inst["used"]["memoryMiB"], 256);
}

TEST_F(CpTasks, StopTaskWithReason) {
  AgentPool pool(cp);
  auto agent = pool.add("edge", "h1", "amd64", sim::Mode::kManual);
  ASSERT_TRUE(agent->wait_for([](const sim::SimSnapshot& s) { return s.connected; }));
  cp.admin().call("POST", "/v1/taskdefs", simple_taskdef("web", "demo:1"));
  auto run = cp.admin().call("POST", "/v1/clusters/edge/tasks", {{"taskDefinition", "web"}});
  const auto id = run["tasks"][0]["id"].get<std::string>();
  ASSERT_TRUE(agent->wait_for([&](const sim::SimSnapshot& s) { return s.tasks.count(id); }));
  agent->report(id, "RUNNING", "HEALTHY");
  ASSERT_TRUE(eventually([&] { return task(id)["lastStatus"] == "RUNNING"; }));
  cp.admin().call("POST", "/v1/tasks/" + id + "/stop", {{"reason", "maintenance window"}});
  ASSERT_TRUE(agent->wait_for([&](const sim::SimSnapshot& s) {
    return s.tasks.at(id).stopReason == "maintenance window";
  }));
  EXPECT_EQ(task(id)["lastStatus"], "STOPPING");
  agent->report(id, "STOPPED", "UNKNOWN", "Task stopped", 143);
  ASSERT_TRUE(eventually([&] { return task(id)["lastStatus"] == "STOPPED"; }));
  auto t = task(id);
  EXPECT_EQ(t["stoppedReason"], "maintenance window");
  EXPECT_EQ(t["containers"][0]["exitCode"], 143);
  EXPECT_EQ(t["transitions"].back()["lastStatus"], "STOPPED");
}

TEST_F(CpTasks, PlacementByAttributeAcrossAgents) {
  AgentPool pool(cp);
  auto a = pool.add("edge", "x86-1", "amd64");
  auto b = pool.add("edge", "arm-1", "arm64");
  auto c = pool.add("edge", "arm-2", "arm64");
  for (auto& ag : {a, b, c})
    ASSERT_TRUE(ag->wait_for([](const sim::SimSnapshot& s) { return s.connected; }));
  cp.admin().call("POST", "/v1/taskdefs", simple_taskdef("web", "demo:1"));
  auto run = cp.admin().call("POST", "/v1/clusters/edge/tasks",
                             {{"taskDefinition", "web"},
                              {"count", 4},
                              {"placementConstraints",
                               {{{"type", "memberOf"}, {"expression", "attribute:arch == arm64"}}}},
                              {"placementStrategy", {{{"type", "spread"}}}}});
  ASSERT_EQ(run["tasks"].size(), 4U) << run.dump();
  std::map<std::string, int> per_instance;
  for (const auto& t : run["tasks"]) {
    auto inst = cp.admin().call("GET", "/v1/instances/" + t["instanceId"].get<std::string>());
    EXPECT_EQ(inst["arch"], "arm64");
    ++per_instance[inst["hostname"]];
  }
  EXPECT_EQ(per_instance["arm-1"], 2);  // spread
  EXPECT_EQ(per_instance["arm-2"], 2);
  EXPECT_TRUE(a->snapshot().tasks.empty());

  // Binpack fills one instance first; a host port is taken only once per instance.
  auto bp =
      cp.admin().call("POST", "/v1/clusters/edge/tasks",
                      {{"taskDefinition", "web"},
                       {"count", 2},
                       {"placementStrategy", {{{"type", "binpack"}}}},
                       {"placementConstraints",
                        {{{"type", "memberOf"}, {"expression", "attribute:arch != arm64"}}}}});
  ASSERT_EQ(bp["tasks"].size(), 2U);
  EXPECT_EQ(bp["tasks"][0]["instanceId"], bp["tasks"][1]["instanceId"]);
  cp.admin().call("POST", "/v1/taskdefs", simple_taskdef("port", "demo:1", 18080));
  auto ports = cp.admin().call("POST", "/v1/clusters/edge/tasks",
                               {{"taskDefinition", "port"}, {"count", 4}});
  EXPECT_EQ(ports["tasks"].size(), 3U);
  ASSERT_EQ(ports["failures"].size(), 1U);
  EXPECT_NE(ports["failures"][0]["reason"].get<std::string>().find("host port"), std::string::npos);

  // Bad constraints are refused naming the field.
  auto bad = cp.admin().request(
      "POST", "/v1/clusters/edge/tasks",
      {{"taskDefinition", "web"},
       {"placementConstraints", {{{"type", "memberOf"}, {"expression", "arch = x"}}}}});
  EXPECT_EQ(bad.status, 400U);
  EXPECT_NE(bad.body["message"].get<std::string>().find("placementConstraints[0].expression"),
            std::string::npos);
}

TEST_F(CpTasks, TaskDefinitionsRevisionsAndValidation) {
  EXPECT_EQ(cp.admin().call("POST", "/v1/taskdefs", simple_taskdef("web", "demo:1"))["revision"],
            1);
  EXPECT_EQ(cp.admin().call("POST", "/v1/taskdefs", simple_taskdef("web", "demo:2"))["revision"],
            2);
  auto fams = cp.admin().call("GET", "/v1/taskdefs");
  ASSERT_EQ(fams["families"].size(), 1U);
  EXPECT_EQ(fams["families"][0]["latestRevision"], 2);
  EXPECT_EQ(
      cp.admin().call("GET", "/v1/taskdefs/web")["definition"]["containerDefinitions"][0]["image"],
      "demo:2");
  cp.admin().call("DELETE", "/v1/taskdefs/web/2");
  EXPECT_EQ(cp.admin().call("GET", "/v1/taskdefs/web")["revision"], 1);
  auto bad = cp.admin().request("POST", "/v1/taskdefs",
                                {{"family", "x"}, {"containerDefinitions", {{{"name", "a"}}}}});
  EXPECT_EQ(bad.status, 400U);
  EXPECT_EQ(bad.body["message"], "containerDefinitions[0].image: missing");
}

}  // namespace
}  // namespace skiff::test
