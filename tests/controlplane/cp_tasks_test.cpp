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
  EXPECT_EQ(bad.body["message"], "taskDefinition: containerDefinitions[0].image: is required");
}

// One parser: what the agent accepts, the control plane registers (units, the describe
// shape, one port on both protocols), and its warnings come back and are stored.
TEST_F(CpTasks, RegistersWhatTheAgentAccepts) {
  json units = simple_taskdef("units", "demo:1");
  units["cpu"] = "0.5 vCPU";
  units["memory"] = "1 GB";
  auto r = cp.admin().call("POST", "/v1/taskdefs", units);
  auto stored = cp.admin().call("GET", "/v1/taskdefs/units/1");
  EXPECT_EQ(stored["cpu"], 512);
  EXPECT_EQ(stored["memoryMiB"], 1024);
  json lower = simple_taskdef("lower", "demo:1");
  lower["cpu"] = ".25 vcpu";
  EXPECT_EQ(cp.admin().request("POST", "/v1/taskdefs", lower).status, 201U);

  json describe = {{"taskDefinition", simple_taskdef("described", "demo:1")},
                   {"tags", {{{"key", "team"}, {"value", "edge"}}}}};
  cp.admin().call("POST", "/v1/taskdefs", describe);
  stored = cp.admin().call("GET", "/v1/taskdefs/described/1");
  EXPECT_EQ(stored["definition"]["containerDefinitions"][0]["image"], "demo:1");

  json both = simple_taskdef("both", "demo:1");
  both["containerDefinitions"][0]["portMappings"] = {
      {{"containerPort", 5353}, {"protocol", "tcp"}},
      {{"containerPort", 5353}, {"protocol", "udp"}}};
  cp.admin().call("POST", "/v1/taskdefs", both);
  stored = cp.admin().call("GET", "/v1/taskdefs/both/1");
  EXPECT_EQ(stored["hostPorts"], json::array({5353}));
  EXPECT_EQ(stored["hostUdpPorts"], json::array({5353}));

  json role = simple_taskdef("role", "demo:1");
  role["taskRoleArn"] = "arn:aws:iam::123456789012:role/app";
  role.erase("networkMode");
  r = cp.admin().call("POST", "/v1/taskdefs", role);
  const std::string warnings = r["warnings"].dump();
  EXPECT_NE(warnings.find("taskRoleArn"), std::string::npos) << warnings;
  EXPECT_NE(warnings.find("networkMode"), std::string::npos) << warnings;
  EXPECT_EQ(cp.admin().call("GET", "/v1/taskdefs/role/1")["warnings"], r["warnings"]);
}

TEST_F(CpTasks, RegistrationErrorsNameTheFieldOrThePosition) {
  auto r = cp.admin().request_raw("POST", "/v1/taskdefs", "{\n  \"family\": \"x\",\n  oops\n}");
  EXPECT_EQ(r.status, 400U);
  EXPECT_NE(r.body["message"].get<std::string>().find("taskDefinition:3:3: malformed JSON"),
            std::string::npos)
      << r.raw;
  json typo = simple_taskdef("typo", "demo:1");
  typo["containerDefinitions"][0]["commnd"] = {"sh"};
  r = cp.admin().request("POST", "/v1/taskdefs", typo);
  EXPECT_EQ(r.status, 400U);
  EXPECT_NE(r.body["message"].get<std::string>().find(
                "containerDefinitions[0].commnd: is not a field of an ECS task definition (did "
                "you mean \"command\"?)"),
            std::string::npos)
      << r.raw;
}

// A port mapping without hostPort binds containerPort on the host: it is accounted, so a
// second copy never lands beside the first (demo-web.json has this shape).
TEST_F(CpTasks, ContainerPortWithoutHostPortIsAccounted) {
  AgentPool pool(cp);
  auto a = pool.add("edge", "h1", "amd64");
  ASSERT_TRUE(a->wait_for([](const sim::SimSnapshot& s) { return s.connected; }));
  json def = simple_taskdef("noport", "demo:1");
  def["containerDefinitions"][0]["portMappings"] = {{{"containerPort", 18090}}};
  cp.admin().call("POST", "/v1/taskdefs", def);
  auto run = cp.admin().call("POST", "/v1/clusters/edge/tasks",
                             {{"taskDefinition", "noport"}, {"count", 2}});
  EXPECT_EQ(run["tasks"].size(), 1U) << run.dump();
  ASSERT_EQ(run["failures"].size(), 1U) << run.dump();
  EXPECT_NE(run["failures"][0]["reason"].get<std::string>().find("host port"), std::string::npos);
  // The same number on UDP is another port.
  json udp = simple_taskdef("udp", "demo:1");
  udp["containerDefinitions"][0]["portMappings"] = {
      {{"containerPort", 18090}, {"protocol", "udp"}}};
  cp.admin().call("POST", "/v1/taskdefs", udp);
  run = cp.admin().call("POST", "/v1/clusters/edge/tasks", {{"taskDefinition", "udp"}});
  EXPECT_EQ(run["tasks"].size(), 1U) << run.dump();
}

// runtimePlatform and the definition's own placementConstraints decide where it may run:
// an arm64 image never lands on an x86 host.
TEST_F(CpTasks, TaskDefinitionPlacementIsHonoured) {
  AgentPool pool(cp);
  auto x86 = pool.add("edge", "x86-1", "amd64");
  ASSERT_TRUE(x86->wait_for([](const sim::SimSnapshot& s) { return s.connected; }));
  json arm = simple_taskdef("arm", "demo:1");
  arm["runtimePlatform"] = {{"cpuArchitecture", "ARM64"}, {"operatingSystemFamily", "LINUX"}};
  cp.admin().call("POST", "/v1/taskdefs", arm);
  auto run = cp.admin().call("POST", "/v1/clusters/edge/tasks", {{"taskDefinition", "arm"}});
  EXPECT_TRUE(run["tasks"].empty()) << run.dump();
  ASSERT_EQ(run["failures"].size(), 1U);
  EXPECT_NE(run["failures"][0]["reason"].get<std::string>().find("constraints"), std::string::npos);
  auto pi = pool.add("edge", "pi-1", "arm64");
  ASSERT_TRUE(pi->wait_for([](const sim::SimSnapshot& s) { return s.connected; }));
  run =
      cp.admin().call("POST", "/v1/clusters/edge/tasks", {{"taskDefinition", "arm"}, {"count", 2}});
  ASSERT_EQ(run["tasks"].size(), 2U) << run.dump();
  for (const auto& t : run["tasks"]) {
    EXPECT_EQ(cp.admin().call("GET", "/v1/instances/" + t["instanceId"].get<std::string>())["arch"],
              "arm64");
  }

  json member = simple_taskdef("member", "demo:1");
  member["placementConstraints"] = {
      {{"type", "memberOf"}, {"expression", "attribute:ecs.cpu-architecture == x86_64"}}};
  cp.admin().call("POST", "/v1/taskdefs", member);
  run = cp.admin().call("POST", "/v1/clusters/edge/tasks",
                        {{"taskDefinition", "member"}, {"count", 2}});
  ASSERT_EQ(run["tasks"].size(), 2U) << run.dump();
  for (const auto& t : run["tasks"]) {
    EXPECT_EQ(cp.admin().call("GET", "/v1/instances/" + t["instanceId"].get<std::string>())["arch"],
              "amd64");
  }
  // What the scheduler cannot read is refused at registration, naming the field.
  json bad = simple_taskdef("bad", "demo:1");
  bad["placementConstraints"] = {{{"type", "memberOf"}, {"expression", "arch = x"}}};
  auto r = cp.admin().request("POST", "/v1/taskdefs", bad);
  EXPECT_EQ(r.status, 400U);
  EXPECT_NE(r.raw.find("placementConstraints[0].expression"), std::string::npos) << r.raw;
  json windows = simple_taskdef("win", "demo:1");
  windows["runtimePlatform"] = {{"operatingSystemFamily", "WINDOWS_SERVER_2022_CORE"}};
  r = cp.admin().request("POST", "/v1/taskdefs", windows);
  EXPECT_EQ(r.status, 400U);
  EXPECT_NE(r.raw.find("runtimePlatform.operatingSystemFamily"), std::string::npos) << r.raw;
}

}  // namespace
}  // namespace skiff::test
