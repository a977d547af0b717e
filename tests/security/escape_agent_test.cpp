// The escape battery through the agent: a task definition (no privileged flags, network
// mode "none") runs `skiff-probe escape` with the settings the agent's bundle code gives
// every container; the container log must show no probe escaping. The control for each
// probe is in escape_test.cpp: the agent has no way (by design) to remove them all.
#include <gtest/gtest.h>
#include <unistd.h>

#include <iostream>

#include "agent_harness.h"
#include "escape_battery.h"

namespace skiff::security {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

TEST(EscapeBatteryAgent, TaskDefinitionWithDefaultsStopsEveryProbe) {
  test::Agent agent(std::filesystem::path("/run") /
                    ("skiff-escape-agent-" + std::to_string(::getpid())));
  agent.start();
  HostSleeper sleeper(SKIFF_PROBE);
  json c = test::probe_container("battery", battery_args(sleeper, false));
  json def = test::task_definition("escape-battery", json::array({c}));
  def["networkMode"] = "none";
  auto id = agent.run_task(def);
  auto t = agent.wait_status(id, "STOPPED", 120s);
  EXPECT_EQ(test::container(t, "battery")["exitCode"], 0) << t.dump();
  auto logs = agent.request("GET", "/v1/tasks/" + id + "/containers/battery/logs");
  ASSERT_EQ(logs.status, 200) << logs.body;
  expect_contained(parse_outcomes(logs.body), "skiff-agent task on the host", logs.body);
  std::cout << logs.body;
}

}  // namespace
}  // namespace skiff::security
