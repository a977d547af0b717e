// The agent pulls an image it does not have from a real registry (Debian's docker-registry
// on 127.0.0.1), and reports a pull that cannot succeed with ECS's reason.
#include <gtest/gtest.h>
#include <unistd.h>

#include "agent_harness.h"
#include "tests/image/registry/registry_fixture.h"

namespace skiff::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

TEST(AgentPull, PullsAMissingImageFromTheRegistryAndRunsIt) {
  skiff::testing::Registry registry(skiff::testing::Registry::Mode::kHttp);
  Agent agent(std::filesystem::path("/run") / ("skiff-agent-pull-" + std::to_string(::getpid())));
  agent.start({"SKIFF_INSECURE_REGISTRIES=" + registry.host()});

  // The three-layer test image: a whiteout deletes /opt/gone, a later layer adds /opt/new.
  json c = {{"name", "app"},
            {"image", registry.host() + "/layers:latest"},
            {"command", {"/bin/sh", "-c", "cat /etc/hostname /opt/new && test ! -e /opt/gone"}}};
  auto id = agent.run_task(task_definition("pulled", json::array({c})));
  auto t = agent.wait_status(id, "STOPPED", 120s);
  EXPECT_EQ(container(t, "app")["exitCode"], 0) << t.dump(1);
  auto logs = agent.request("GET", "/v1/tasks/" + id + "/containers/app/logs");
  EXPECT_NE(logs.body.find("skiff-amd64"), std::string::npos) << logs.body;
  EXPECT_NE(logs.body.find("new amd64"), std::string::npos) << logs.body;

  json missing = {{"name", "app"}, {"image", registry.host() + "/no-such-image:latest"}};
  auto bad = agent.run_task(task_definition("missing", json::array({missing})));
  t = agent.wait_status(bad, "STOPPED", 120s);
  std::string reason = container(t, "app")["reason"];
  EXPECT_NE(reason.find("CannotPullContainerError"), std::string::npos) << reason;
  EXPECT_NE(reason.find("no-such-image"), std::string::npos) << reason;
}

}  // namespace
}  // namespace skiff::test
