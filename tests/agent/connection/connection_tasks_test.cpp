// Standalone tasks through the control plane, placement by attribute, and the credentials:
// spent and expired activations, a refused token.
#include <signal.h>
#include <sys/stat.h>

#include <fstream>
#include <thread>

#include "common/file_io.h"
#include "connection_fixture.h"

namespace skiff::test {
namespace {

namespace fs = std::filesystem;

bool logs_contain(const Agent& a, const std::string& task, const std::string& container,
                  const std::string& text) {
  return a.request("GET", "/v1/tasks/" + task + "/containers/" + container + "/logs")
             .body.find(text) != std::string::npos;
}

const json* cp_container(const json& task, const std::string& name) {
  for (const auto& c : task["containers"]) {
    if (c.value("name", "") == name) return &c;
  }
  return nullptr;
}

// a. A task from the control plane runs with the same id on the agent; stopping it through the
// control plane sends SIGTERM, then SIGKILL after the container's stopTimeout.
TEST_F(ConnectionTest, ControlPlaneTaskRunsOnTheAgentAndStopsWithTermThenKill) {
  start(1);
  add_agent(0);
  ASSERT_FALSE(HasFailure());
  const auto reg_file = agent(0).state() / "agent" / "registration.json";
  struct stat st {};
  ASSERT_EQ(::stat(reg_file.c_str(), &st), 0) << reg_file;
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  EXPECT_EQ(json::parse(read_file(reg_file))["instanceId"], instance_id(0));
  EXPECT_EQ(instance(0)["connected"], true);

  auto term = probe_container("term", {"trap-term", "7"});
  term["stopTimeout"] = 30;
  auto stubborn = probe_container("stubborn", {"ignore-term"});
  stubborn["stopTimeout"] = 2;
  const auto td = register_taskdef(cp_taskdef("stoppable", json::array({term, stubborn})));
  const auto run = admin("POST", "/v1/clusters/edge/tasks", {{"taskDefinition", td}});
  ASSERT_EQ(run["tasks"].size(), 1U) << run;
  const std::string id = run["tasks"][0]["id"];
  EXPECT_EQ(run["tasks"][0]["instanceId"], instance_id(0));
  ASSERT_TRUE(eventually([&] { return cp_task(id)["lastStatus"] == "RUNNING"; }, 60s))
      << cp_task(id).dump(1);
  auto t = wait_agent_status(0, id, "RUNNING");
  for (const char* name : {"term", "stubborn"}) {
    EXPECT_TRUE(process_alive(container(t, name)["pid"].get<int>())) << t.dump(1);
  }
  // Only once both print "waiting" are their signal dispositions in place.
  agent(0).wait_task(
      id,
      [&](const json&) {
        return logs_contain(agent(0), id, "term", "waiting") &&
               logs_contain(agent(0), id, "stubborn", "waiting");
      },
      20s, "both probes waiting");

  const auto asked = std::chrono::steady_clock::now();
  admin("POST", "/v1/tasks/" + id + "/stop", {{"reason", "stopped by the connection test"}});
  ASSERT_TRUE(eventually([&] { return cp_task(id)["lastStatus"] == "STOPPED"; }, 60s))
      << cp_task(id).dump(1);
  const auto took = std::chrono::steady_clock::now() - asked;
  const auto cpt = cp_task(id);
  EXPECT_EQ(cpt["stoppedReason"], "stopped by the connection test");
  t = wait_agent_status(0, id, "STOPPED", 30s);
  EXPECT_EQ(t["stoppedReason"], "stopped by the connection test") << t.dump(1);
  // The SIGTERM reached the trapping probe: its own exit code and message.
  EXPECT_EQ(container(t, "term")["exitCode"], 7) << t.dump(1);
  EXPECT_FALSE(container(t, "term")["killNeeded"].get<bool>());
  EXPECT_TRUE(logs_contain(agent(0), id, "term", "got SIGTERM"));
  // The one ignoring it was killed once its 2 s stopTimeout ran out (not the 30 s default).
  EXPECT_EQ(container(t, "stubborn")["exitCode"], 137) << t.dump(1);
  EXPECT_TRUE(container(t, "stubborn")["killNeeded"].get<bool>());
  EXPECT_GE(took, 1900ms);
  EXPECT_LT(took, 15s);  // its own 2 s, not the 30 s of the other container or the default
  // The control plane got the exit codes too.
  const auto* cterm = cp_container(cpt, "term");
  const auto* cstub = cp_container(cpt, "stubborn");
  ASSERT_TRUE(cterm && cstub) << cpt.dump(1);
  EXPECT_EQ(cterm->value("exitCode", -1), 7);
  EXPECT_EQ(cstub->value("exitCode", -1), 137);
  EXPECT_TRUE(eventually([&] { return agent(0).runtime_containers().empty(); }, 20s));
}

// d. Placement constraints on agent attributes pick the agent by its SKIFF_ATTRIBUTES.
TEST_F(ConnectionTest, AttributeConstraintPlacesTasksOnTheMatchingAgent) {
  start(2);
  add_agent(0, {"SKIFF_ATTRIBUTES=site=a,tier=edge"});
  add_agent(1, {"SKIFF_ATTRIBUTES=site=b,tier=edge"});
  ASSERT_FALSE(HasFailure());
  EXPECT_EQ(instance(0)["attributes"]["site"], "a");
  EXPECT_EQ(instance(1)["attributes"]["site"], "b");
  EXPECT_EQ(instance(1)["attributes"]["tier"], "edge");
  EXPECT_EQ(instance(1)["hostname"], "agent-1");
  const auto td =
      register_taskdef(cp_taskdef("placed", json::array({probe_app({"trap-term", "0"}, false)})));
  auto run_where = [&](const std::string& expression, int count) {
    return admin("POST", "/v1/clusters/edge/tasks",
                 {{"taskDefinition", td},
                  {"count", count},
                  {"placementConstraints",
                   json::array({{{"type", "memberOf"}, {"expression", expression}}})}});
  };
  const auto on_b = run_where("attribute:site == b", 2);
  ASSERT_EQ(on_b["tasks"].size(), 2U) << on_b;
  for (const auto& t : on_b["tasks"]) {
    const std::string id = t["id"];
    EXPECT_EQ(t["instanceId"], instance_id(1));
    wait_agent_status(1, id, "RUNNING");
    EXPECT_EQ(agent(0).request("GET", "/v1/tasks/" + id).status, 404);
  }
  const auto not_b = run_where("attribute:site != b", 1);
  ASSERT_EQ(not_b["tasks"].size(), 1U) << not_b;
  EXPECT_EQ(not_b["tasks"][0]["instanceId"], instance_id(0));
  wait_agent_status(0, not_b["tasks"][0]["id"].get<std::string>(), "RUNNING");
  const auto nowhere = run_where("attribute:site == c", 1);
  EXPECT_TRUE(nowhere["tasks"].empty()) << nowhere;
  EXPECT_EQ(nowhere["failures"].size(), 1U) << nowhere;
}

// h. A spent activation and an expired one: the agent exits non-zero naming the error.
TEST_F(ConnectionTest, SpentAndExpiredActivationsAreRefused) {
  start(3);
  add_agent(0);
  ASSERT_FALSE(HasFailure());
  const auto first = json::parse(read_file(agent(0).state() / "agent" / "registration.json"));
  auto refused = [&](int i, const std::vector<std::string>& env, const std::string& code) {
    Agent a(fs::path("/run") /
            ("skiff-conn-" + std::to_string(::getpid()) + "-refused-" + std::to_string(i)));
    a.set_netns(net->netns(i));
    a.spawn(env);
    const auto rc = a.wait_exit(30s);
    if (!rc) a.kill(SIGKILL);
    ASSERT_TRUE(rc.has_value()) << "the agent kept running with a bad activation:\n"
                                << tail(a.log_text());
    EXPECT_NE(*rc, 0);
    EXPECT_NE(a.log_text().find(code), std::string::npos) << tail(a.log_text());
    EXPECT_FALSE(fs::exists(a.state() / "agent" / "registration.json"));
  };
  // Agent 0's activation (registrationLimit 1) again, by another agent.
  refused(1, env_of(0), "activation_exhausted");
  const auto expiring = activation(1);
  std::this_thread::sleep_for(2s);
  refused(2, agent_env(2, expiring), "activation_expired");
  EXPECT_EQ(admin("GET", "/v1/clusters/edge/instances")["instances"].size(), 1U);
  EXPECT_EQ(json::parse(read_file(agent(0).state() / "agent" / "registration.json")), first);
}

// i. A token the control plane refuses: the agent keeps retrying and its task keeps running.
TEST_F(ConnectionTest, RefusedTokenKeepsTheAgentUpAndItsTaskRunning) {
  start(1);
  add_agent(0);
  ASSERT_FALSE(HasFailure());
  const auto td =
      register_taskdef(cp_taskdef("kept", json::array({probe_app({"trap-term", "0"}, false)})));
  const auto run = admin("POST", "/v1/clusters/edge/tasks", {{"taskDefinition", td}});
  ASSERT_EQ(run["tasks"].size(), 1U) << run;
  const std::string id = run["tasks"][0]["id"];
  const int pid = container(wait_agent_status(0, id, "RUNNING"), "app")["pid"];

  agent(0).kill(SIGTERM);  // the agent stops; its tasks do not
  ASSERT_TRUE(process_alive(pid));
  const auto reg_file = agent(0).state() / "agent" / "registration.json";
  auto reg = json::parse(read_file(reg_file));
  reg["token"] = instance_id(0) + "." + std::string(64, '0');
  std::ofstream(reg_file, std::ios::trunc) << reg.dump();
  const auto log_before = agent(0).log_text().size();
  restart_agent(0);
  ASSERT_FALSE(HasFatalFailure());
  auto refusals = [&] {
    const auto log = agent(0).log_text().substr(log_before);
    std::size_t n = 0;
    for (auto at = log.find("token_invalid"); at != std::string::npos;
         at = log.find("token_invalid", at + 1)) {
      ++n;
    }
    return n;
  };
  EXPECT_TRUE(eventually([&] { return refusals() >= 2; }, 30s))
      << "expected repeated token_invalid refusals:\n"
      << tail(agent(0).log_text().substr(log_before));
  EXPECT_FALSE(agent(0).wait_exit(0ms).has_value()) << "the agent exited";
  EXPECT_EQ(metadata(0)["controlPlane"]["connected"], false);
  EXPECT_EQ(instance(0)["connected"], false);
  const auto t = agent(0).task(id);
  EXPECT_EQ(t["knownStatus"], "RUNNING");
  EXPECT_EQ(container(t, "app")["pid"], pid);
  EXPECT_EQ(container(t, "app")["restartCount"], 0);
  EXPECT_TRUE(process_alive(pid));
  EXPECT_EQ(cp_task(id)["lastStatus"], "RUNNING");
}

}  // namespace
}  // namespace skiff::test
