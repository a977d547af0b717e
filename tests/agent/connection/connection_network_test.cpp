// The link between an agent and the control plane goes away (ip link set down on the
// bridge side of the agent's veth) and comes back.
#include <signal.h>

#include <iostream>
#include <thread>

#include "connection_fixture.h"

namespace skiff::test {
namespace {

using Clock = std::chrono::steady_clock;

json run_on(ConnectionTest& f, const std::string& taskdef, const std::string& hostname) {
  const auto r = f.admin("POST", "/v1/clusters/edge/tasks",
                         {{"taskDefinition", taskdef},
                          {"placementConstraints",
                           json::array({{{"type", "memberOf"},
                                         {"expression", "attribute:hostname == " + hostname}}})}});
  EXPECT_EQ(r["tasks"].size(), 1U) << r;
  return r["tasks"].empty() ? json::object() : r["tasks"][0];
}

// f. A 60 s cut: containers keep running, a container that exits meanwhile is reported once
// the link is back (from the on-disk queue: the agent is also kill -9'd and restarted during
// the cut), and the control plane converges.
TEST_F(ConnectionTest, LinkCutForAMinuteKeepsTasksRunningAndReplaysStateChanges) {
  start(2, {"--disconnect-timeout", "300"});  // nothing is replaced during the cut
  add_agent(0);
  add_agent(1);
  ASSERT_FALSE(HasFailure());
  const auto steady_td =
      register_taskdef(cp_taskdef("steady", json::array({probe_app({"trap-term", "0"}, false)})));
  auto quitter = probe_app({}, false);
  quitter["command"] = {"/bin/sh", "-c", "sleep 20; exit 3"};
  const auto quitter_td = register_taskdef(cp_taskdef("quitter", json::array({quitter})));
  const std::string keep = run_on(*this, steady_td, "agent-0").value("id", "");
  const std::string quit = run_on(*this, quitter_td, "agent-0").value("id", "");
  ASSERT_FALSE(HasFailure());
  const int pid = container(wait_agent_status(0, keep, "RUNNING"), "app")["pid"];
  wait_agent_status(0, quit, "RUNNING");
  ASSERT_TRUE(eventually([&] {
    return cp_task(keep)["lastStatus"] == "RUNNING" && cp_task(quit)["lastStatus"] == "RUNNING";
  }));

  const auto cut_at = Clock::now();
  net->cut(0);
  ASSERT_TRUE(eventually([&] { return instance(0)["connected"] == false; }, 15s))
      << instance(0).dump(1);
  wait_connected(0, false);
  // The quitter exits during the cut; the agent sees it, the control plane cannot.
  auto q = wait_agent_status(0, quit, "STOPPED", 40s);
  EXPECT_EQ(container(q, "app")["exitCode"], 3) << q.dump(1);
  EXPECT_EQ(cp_task(quit)["lastStatus"], "RUNNING");
  EXPECT_GE(metadata(0)["controlPlane"]["unackedStateChanges"].get<int>(), 1) << metadata(0);
  // The queue must be on disk: the agent dies and comes back, still cut off.
  agent(0).kill(SIGKILL);
  EXPECT_TRUE(process_alive(pid));
  restart_agent(0);
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_GE(metadata(0)["controlPlane"]["unackedStateChanges"].get<int>(), 1) << metadata(0);
  // The rest of the minute: the steady container keeps running, untouched.
  while (Clock::now() - cut_at < 60s) {
    const auto t = agent(0).task(keep);
    ASSERT_EQ(t["knownStatus"], "RUNNING") << t.dump(1);
    ASSERT_EQ(container(t, "app")["pid"], pid);
    ASSERT_EQ(container(t, "app")["restartCount"], 0);
    ASSERT_TRUE(process_alive(pid));
    EXPECT_EQ(metadata(0)["controlPlane"]["connected"], false);
    std::this_thread::sleep_for(2s);
  }
  EXPECT_EQ(instance(0)["connected"], false);
  EXPECT_EQ(instance(1)["connected"], true);  // the other agent was never affected

  net->restore(0);
  const auto restored_at = Clock::now();
  const bool converged = eventually(
      [&] {
        return cp_task(quit)["lastStatus"] == "STOPPED" && instance(0)["connected"] == true &&
               metadata(0)["controlPlane"]["unackedStateChanges"] == 0;
      },
      45s);
  const auto took =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - restored_at);
  std::cout << "control plane view converged " << took.count() << " ms after the link came back"
            << std::endl;
  RecordProperty("convergeMs", static_cast<int>(took.count()));
  ASSERT_TRUE(converged) << cp_task(quit).dump(1) << metadata(0).dump(1);
  const auto cq = cp_task(quit);
  ASSERT_FALSE(cq["containers"].empty()) << cq.dump(1);
  EXPECT_EQ(cq["containers"][0].value("exitCode", -1), 3) << cq.dump(1);
  EXPECT_EQ(cq["stoppedReason"], "Essential container in task exited") << cq.dump(1);
  const auto ck = cp_task(keep);
  EXPECT_EQ(ck["lastStatus"], "RUNNING");
  for (const auto& s : status_sequence(ck)) EXPECT_NE(s, "STOPPED");
  const auto t = agent(0).task(keep);
  EXPECT_EQ(container(t, "app")["pid"], pid);
  EXPECT_EQ(container(t, "app")["restartCount"], 0);
}

// g. An instance away longer than --disconnect-timeout: its service task is replaced on the
// other agent; back online, it stops the duplicate, and exactly desiredCount tasks run.
TEST_F(ConnectionTest, DisconnectedInstanceTaskIsReplacedAndItsDuplicateStoppedOnReturn) {
  start(2, {"--disconnect-timeout", "3"});
  add_agent(0);
  add_agent(1);
  ASSERT_FALSE(HasFailure());
  const auto td =
      register_taskdef(cp_taskdef("web", json::array({probe_app({"trap-term", "0"}, false)})));
  create_service(td, 1, 100, 200);
  ASSERT_TRUE(eventually([&] { return steady(td, 1); }, 60s)) << svc().dump(1);
  const auto first = cp_tasks("web")[0];
  const std::string first_id = first["id"];
  const int holder = agent_index(first["instanceId"].get<std::string>());
  ASSERT_GE(holder, 0);
  const int other = 1 - holder;
  const int pid = container(wait_agent_status(holder, first_id, "RUNNING"), "app")["pid"];

  net->cut(holder);
  std::string replacement;
  ASSERT_TRUE(eventually(
      [&] {
        for (const auto& t : cp_tasks("web")) {
          if (t["id"] != first_id && t["lastStatus"] == "RUNNING" &&
              t["instanceId"] == instance_id(other)) {
            replacement = t["id"].get<std::string>();
            return true;
          }
        }
        return false;
      },
      60s))
      << svc().dump(1);
  EXPECT_TRUE(cp_task(first_id)["lost"].get<bool>());
  wait_agent_status(other, replacement, "RUNNING");
  // Cut off, the holder still runs the first one.
  auto dup = agent(holder).task(first_id);
  EXPECT_EQ(dup["knownStatus"], "RUNNING");
  EXPECT_EQ(container(dup, "app")["pid"], pid);

  net->restore(holder);
  dup = wait_agent_status(holder, first_id, "STOPPED", 60s);
  EXPECT_FALSE(process_alive(pid));
  ASSERT_TRUE(eventually([&] { return cp_task(first_id)["lastStatus"] == "STOPPED"; }, 30s))
      << cp_task(first_id).dump(1);
  EXPECT_TRUE(eventually([&] { return steady(td, 1); }, 30s)) << svc().dump(1);
  int cp_running = 0, agent_running = 0;
  for (const auto& t : cp_tasks("web")) cp_running += t["lastStatus"] == "RUNNING" ? 1 : 0;
  for (int i : {0, 1}) {
    for (const auto& t : agent(i).request("GET", "/v1/tasks").json()) {
      agent_running += t["knownStatus"] == "RUNNING" ? 1 : 0;
    }
  }
  EXPECT_EQ(cp_running, 1);
  EXPECT_EQ(agent_running, 1);
  EXPECT_EQ(agent(other).task(replacement)["knownStatus"], "RUNNING");
}

}  // namespace
}  // namespace skiff::test
