// Real skiff-controlplane on 10.199.0.1 + real skiff-agents, each in its own network
// namespace on a private bridge (test_network.h), each registered with its own activation.
// The agents run real containers (agent_harness.h); the test reads both views: the control
// plane's admin API and each agent's local API (a unix socket, so reachable from the host
// whatever namespace the agent's network lives in).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent_harness.h"
#include "test_network.h"
#include "tests/controlplane/cp_fixture.h"

namespace skiff::test {

using nlohmann::json;
using namespace std::chrono_literals;

class ConnectionTest : public ::testing::Test {
 public:  // helpers shared by free functions in the tests too
  void TearDown() override;

  // `namespaces` network namespaces, a control plane on 10.199.0.1 (heartbeat 0.5 s) with
  // `cp_args`, and cluster "edge".
  void start(int namespaces, std::vector<std::string> cp_args = {});
  // Creates agent i (in netns i) with a fresh activation and `extra_env`, starts it and waits
  // until it is registered and connected.
  Agent& add_agent(int i, const std::vector<std::string>& extra_env = {});
  // The settings agent i gets: endpoint, pinned CA, short idle timeout, hostname, address.
  std::vector<std::string> agent_env(int i, const json& activation) const;
  const std::vector<std::string>& env_of(int i) const { return env_.at(i); }
  // Starts agent i again with the environment it had (registration.json is used now).
  void restart_agent(int i);
  Agent& agent(int i) { return *agents_.at(i); }
  json metadata(int i) { return agent(i).request("GET", "/v1/metadata").json(); }
  bool cp_connected(int i) { return metadata(i)["controlPlane"]["connected"] == true; }
  // Waits until agent i's metadata says connected (or not).
  void wait_connected(int i, bool connected, std::chrono::seconds timeout = 30s);
  const std::string& instance_id(int i) const { return instance_ids_.at(i); }
  int agent_index(const std::string& instance_id) const;  // -1 if none

  json activation(std::int64_t expires_in_seconds = 3600);
  // POST /v1/taskdefs; returns "family:revision".
  std::string register_taskdef(const json& definition);
  json cp_task(const std::string& id) { return admin("GET", "/v1/tasks/" + id); }
  json cp_tasks(const std::string& service = "");
  json svc(const std::string& name = "web") {
    return admin("GET", "/v1/clusters/edge/services/" + name);
  }
  json instance(int i) { return admin("GET", "/v1/instances/" + instance_id(i)); }
  // One deployment of `taskdef`, COMPLETED, with `count` healthy tasks.
  bool steady(const std::string& taskdef, std::size_t count, const std::string& name = "web");
  json create_service(const std::string& taskdef, int desired, int min_pct, int max_pct,
                      const json& breaker = nullptr);
  json admin(const std::string& method, const std::string& target, const json& body = nullptr) {
    return cp->admin().call(method, target, body);
  }
  // Polls agent i's view of task `id` (which may not have reached it yet) until its
  // knownStatus is `status`; fails the test on timeout. Returns the last view.
  json wait_agent_status(int i, const std::string& id, const std::string& status,
                         std::chrono::seconds timeout = 60s);
  // The agent-side view of a control plane task (from the agent it is placed on).
  json agent_view(const json& cp_task_json);
  std::string diagnostics();  // CP log tail and each agent's log tail

  std::unique_ptr<TestNetwork> net;
  std::unique_ptr<ControlPlane> cp;

 private:
  std::vector<std::unique_ptr<Agent>> agents_;
  std::vector<std::vector<std::string>> env_;
  std::vector<std::string> instance_ids_;
};

// Container "app" running skiff-probe `args`, stopTimeout 2, with an optional health check
// (`test -d /bin` every 5 s).
json probe_app(const std::vector<std::string>& args, bool health_check);
// A task definition of `containers` for the control plane (host network, 256 MiB).
json cp_taskdef(const std::string& family, const json& containers);

// The distinct lastStatus values a task went through, in order.
std::vector<std::string> status_sequence(const json& task);
bool process_alive(int pid);
// The tail of `text`, at most `n` characters.
std::string tail(const std::string& text, std::size_t n = 4000);

}  // namespace skiff::test
