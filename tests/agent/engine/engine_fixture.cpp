#include "tests/agent/engine/engine_fixture.h"

#include <algorithm>

namespace skiff::agent::test {
namespace {

Paths paths_in(const std::filesystem::path& root) {
  return Paths{root / "state", root / "run", root / "logs"};
}

}  // namespace

json container(const std::string& name, json extra) {
  json c = {{"name", name}, {"image", "busybox"}, {"essential", true}};
  c.update(extra);
  return c;
}

std::string task_def(const std::vector<json>& containers) {
  return json{{"family", "app"},
              {"memory", "512"},
              {"networkMode", "host"},
              {"containerDefinitions", containers}}
      .dump();
}

EngineTest::EngineTest() : store_(log_, paths_in(dir_.path())) {
  config_.runner.paths = paths_in(dir_.path());
  config_.runner.runtime_binary = "/usr/bin/skiff-runtime";
  config_.default_stop_timeout = 30;
  restart_agent();
}

EngineTest::~EngineTest() = default;

TaskEngine& EngineTest::restart_agent() {
  engine_.reset();
  engine_ =
      std::make_unique<TaskEngine>(config_, EngineParts{containers_, images_, store_, clock_});
  return *engine_;
}

std::string EngineTest::submit(const std::vector<json>& containers, const std::string& id) {
  return engine_->submit(task_def(containers), "test", false, id);
}

void EngineTest::settle() {
  for (int i = 0; i < 100; ++i) {
    const std::size_t before = log_.all().size();
    const std::int64_t next = pass();
    // A pass that acted may have made something visible at once (a fake exit after a
    // signal), as the shim's pidfd would wake the real loop: look again.
    if ((next == 0 || next > clock_.now_ms()) && log_.all().size() == before) return;
  }
  ADD_FAILURE() << "the engine did not settle in 100 passes (a busy loop?)\n" << log_.dump();
}

void EngineTest::run_for(std::int64_t ms) {
  const std::int64_t end = clock_.now_ms() + ms;
  int passes_now = 0;
  while (true) {
    const std::int64_t next = pass();
    const std::int64_t now = clock_.now_ms();
    // The loop's wait: until the wake time, at most a second.
    const std::int64_t wait = next == 0 ? 1000 : std::clamp<std::int64_t>(next - now, 0, 1000);
    if (now >= end && wait > 0) return;
    if (wait == 0) {
      if (++passes_now > 100) {
        ADD_FAILURE() << "more than 100 passes without time passing\n" << log_.dump();
        return;
      }
      continue;
    }
    passes_now = 0;
    clock_.advance(std::min(wait, end - now));
  }
}

bool EngineTest::run_until(const std::function<bool()>& done, std::int64_t limit_ms) {
  const std::int64_t end = clock_.now_ms() + limit_ms;
  while (!done()) {
    if (clock_.now_ms() >= end) return false;
    run_for(std::min<std::int64_t>(1000, end - clock_.now_ms()));
  }
  return true;
}

json EngineTest::container_view(const std::string& name, const std::string& id) {
  const json view = task(id);
  for (const auto& c : view["containers"]) {
    if (c["name"] == name) return c;
  }
  ADD_FAILURE() << "task " << id << " has no container " << name;
  return json::object();
}

std::vector<json> EngineTest::events(const std::string& type) {
  std::vector<json> out;
  for (const auto& e : engine_->events().since(0, std::chrono::milliseconds(0))) {
    if (e.body["type"] == type) out.push_back(e.body);
  }
  return out;
}

}  // namespace skiff::agent::test
