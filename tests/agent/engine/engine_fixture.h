// The engine over the recording fakes (fake_container_ops.h), single-stepped: a test
// submits a task definition, makes things happen to its containers and moves the clock,
// and the loop runs as the agent's thread would (at most a second between passes).
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent/engine/engine.h"
#include "tests/agent/engine/fake_container_ops.h"
#include "tests/support/temp_dir.h"

namespace skiff::agent::test {

using nlohmann::json;

// {"name": name, "image": "busybox", "essential": true} with `extra` merged in.
json container(const std::string& name, json extra = json::object());
// A task definition of family "app" with these containers.
std::string task_def(const std::vector<json>& containers);

class EngineTest : public ::testing::Test {
 protected:
  EngineTest();
  ~EngineTest() override;

  // A new engine over the same fakes and store: the agent restarted. The old engine is
  // dropped first, as a killed agent leaves only its task.json files and its containers.
  TaskEngine& restart_agent();
  std::string submit(const std::vector<json>& containers, const std::string& id = "t1");

  // One pass of the loop; returns its next wake time.
  std::int64_t pass() { return engine_->reconcile_once(); }
  // Passes until the engine is idle at the current time: no wake due now, and the last
  // pass did nothing (called nothing on the fakes).
  void settle();
  // Lets `ms` go by as the loop would: a pass at every wake time the engine asks for, and
  // at least one a second (the loop's poll timeout).
  void run_for(std::int64_t ms);
  // Until `done()` holds, at most `limit_ms` of fake time; returns whether it held.
  bool run_until(const std::function<bool()>& done, std::int64_t limit_ms = 600'000);

  json task(const std::string& id = "t1") { return engine_->describe_task(id); }
  json container_view(const std::string& name, const std::string& id = "t1");
  std::string known(const std::string& name, const std::string& id = "t1") {
    return container_view(name, id)["knownStatus"];
  }
  std::string reason(const std::string& name, const std::string& id = "t1") {
    return container_view(name, id)["reason"];
  }
  std::string task_known(const std::string& id = "t1") { return task(id)["knownStatus"]; }
  // The engine's events of this type, oldest first.
  std::vector<json> events(const std::string& type);
  // Lines of the call log whose verb is one of these, e.g. calls({"signal", "cleanup"}).
  std::vector<std::string> calls(std::initializer_list<std::string_view> verbs) const {
    return log_.only(verbs);
  }

  EngineConfig config_;
  skiff::test::TempDir dir_{"skiff-engine"};
  CallLog log_;
  FakeClock clock_;
  FakeContainerOps containers_{log_};
  FakeImages images_{log_};
  FakeStore store_;
  std::unique_ptr<TaskEngine> engine_;
};

}  // namespace skiff::agent::test
