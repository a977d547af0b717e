// j. A hostile control plane: garbage, a binary frame, an unknown type, Payloads with a
// missing and a hostile taskId ("../../etc"), a StopTask for "..", a stale seq and the header
// of a frame over 1 MiB (close 1009); on the next connection a 1.1 MiB message in fragments.
// The agent answers with Error frames, takes up the connection after that cleanly, and its
// task keeps running throughout.
#include <unistd.h>

#include <iostream>
#include <set>

#include "connection_fixture.h"
#include "hostile_control_plane.h"
#include "protocol/frames.h"

namespace skiff::test {
namespace {

namespace fs = std::filesystem;

TEST(ConnectionHostile, GarbageFromTheControlPlaneGetsErrorFramesAndTheTaskKeepsRunning) {
  TestNetwork net(1);
  const auto dir = fs::temp_directory_path() / ("skiff-hostile-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const std::string id = "t-0000000000hostile";
  const json task = {{"taskId", id},
                     {"cluster", "hostile"},
                     {"family", "hostile"},
                     {"revision", 1},
                     {"desiredStatus", "RUNNING"},
                     {"desiredSeq", 1},
                     {"taskDefinition",
                      cp_taskdef("hostile", json::array({probe_app({"trap-term", "0"}, false)}))}};
  HostileControlPlane server(TestNetwork::kHostAddress, dir, task);
  Agent agent(fs::path("/run") / ("skiff-conn-" + std::to_string(::getpid()) + "-hostile"));
  agent.set_netns(net.netns(0));
  agent.start({"SKIFF_ENDPOINT=https://" + std::string(TestNetwork::kHostAddress) + ":" +
                   std::to_string(server.port()),
               "SKIFF_CA_FILE=" + server.ca().string(), "SKIFF_ACTIVATION_ID=a-hostile",
               "SKIFF_ACTIVATION_CODE=hostile-code", "SKIFF_CP_IDLE_TIMEOUT=60"});
  ASSERT_FALSE(HasFatalFailure());
  auto why = [&] {
    const auto v = server.view();
    std::string s = "server: " + v.failure + "; received:";
    for (const auto& f : v.received) s += "\n  " + f.dump().substr(0, 300);
    return s + "\nagent log:\n" + tail(agent.log_text());
  };
  ASSERT_TRUE(eventually([&] { return server.view().task_running; }, 60s)) << why();
  auto t = agent.wait_status(id, "RUNNING");
  const int pid = container(t, "app")["pid"];
  agent.wait_task(
      id,
      [&](const json&) {
        return agent.request("GET", "/v1/tasks/" + id + "/containers/app/logs")
                   .body.find("waiting") != std::string::npos;
      },
      20s, "the probe waiting");

  server.attack();
  ASSERT_TRUE(eventually(
      [&] {
        const auto v = server.view();
        return v.attack_done || !v.failure.empty();
      },
      30s))
      << why();
  ASSERT_TRUE(server.view().attack_done) << why();
  ASSERT_TRUE(eventually(
      [&] {
        const auto v = server.view();
        return v.close_code != -1 || !v.close_error.empty();
      },
      30s))
      << why();
  EXPECT_EQ(server.view().close_code, 1009) << server.view().close_error << "\n" << why();
  // Session 1 gets a fragmented message over 1 MiB; session 2 is an ordinary one: the agent
  // must take it up cleanly (its TaskManifest acked, nothing refused).
  ASSERT_TRUE(eventually([&] { return server.view().connections >= 3; }, 30s)) << why();
  EXPECT_TRUE(eventually([&] { return server.view().manifest_acked.count(2) == 1; }, 10s))
      << "the TaskManifest after the fragmented 1.1 MiB message was not acked\n"
      << why();
  EXPECT_EQ(server.view().manifest_acked.count(1), 1U) << why();

  // The Error frames the agent sent back.
  const auto v = server.view();
  for (const auto& f : v.received) {
    if (f.value("type", "") != "Error") continue;
    std::cout << "agent replied: " << f.dump() << "\n";
    EXPECT_EQ(f["_session"], 0) << "an Error on a connection that got nothing bad: " << f.dump();
  }
  auto error = [&](const std::string& code, std::uint64_t ref, const std::string& mentions) {
    for (const auto& f : v.received) {
      if (f.value("type", "") != "Error" || !f.contains("body")) continue;
      const auto& b = f["body"];
      if ((code.empty() || b.value("code", "") == code) && b.value("refSeq", 0ULL) == ref &&
          b.value("message", "").find(mentions) != std::string::npos) {
        return true;
      }
    }
    return false;
  };
  EXPECT_TRUE(error("bad_json", 0, "")) << why();
  EXPECT_TRUE(error("bad_frame", 0, "")) << why();
  EXPECT_TRUE(error("unknown_type", v.seqs.unknown_type, "")) << why();
  EXPECT_TRUE(error("bad_frame", v.seqs.missing_task_id, "taskId")) << why();
  EXPECT_TRUE(error("", v.seqs.hostile_task_id, "taskId")) << why();
  EXPECT_TRUE(error("bad_frame", v.seqs.dot_dot_stop, "taskId")) << why();
  EXPECT_TRUE(error("stale_seq", v.seqs.stale, "")) << why();
  EXPECT_EQ(v.registrations, 1);
  for (const auto& a : v.authorizations) EXPECT_EQ(a, "Bearer " + HostileControlPlane::token());
  // Everything the real agent sent matches the documented schemas (docs/protocol.md), as
  // the protocol library checks them, and covers the agent's side of the protocol.
  std::set<std::string> types;
  for (const auto& f : v.received) {
    try {
      types.insert(std::string(protocol::parse_frame_json(f).type()));
    } catch (const std::exception& e) {
      ADD_FAILURE() << "the agent sent a frame the protocol refuses: " << e.what() << "\n"
                    << f.dump();
    }
  }
  for (const char* type : {"Hello", "Ack", "Error", "StateChange"}) {
    EXPECT_TRUE(types.count(type)) << "the agent never sent " << type;
  }
  // The second connection's Hello still lists the task as RUNNING.
  const json* last_hello = nullptr;
  for (const auto& f : v.received) {
    if (f.value("type", "") == "Hello") last_hello = &f;
  }
  ASSERT_NE(last_hello, nullptr);
  bool listed = false;
  for (const auto& kt : (*last_hello)["body"]["tasks"]) {
    listed = listed || (kt["taskId"] == id && kt["knownStatus"] == "RUNNING");
  }
  EXPECT_TRUE(listed) << last_hello->dump();

  // The agent is up, the task untouched, and the hostile id went nowhere.
  EXPECT_FALSE(agent.wait_exit(std::chrono::milliseconds(0)).has_value()) << tail(agent.log_text());
  t = agent.task(id);
  EXPECT_EQ(t["knownStatus"], "RUNNING");
  EXPECT_EQ(container(t, "app")["pid"], pid);
  EXPECT_EQ(container(t, "app")["restartCount"], 0);
  EXPECT_TRUE(process_alive(pid));
  const auto tasks = agent.request("GET", "/v1/tasks").json();
  EXPECT_EQ(tasks.size(), 1U) << tasks.dump(1);
  for (const auto& p :
       {agent.root() / "etc", agent.state() / "etc", agent.state() / "agent" / "etc"}) {
    EXPECT_FALSE(fs::exists(p)) << p;
  }
  if (!::testing::Test::HasFailure()) fs::remove_all(dir);
}

}  // namespace
}  // namespace skiff::test
