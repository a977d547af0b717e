// A scripted AgentService for testing the HTTP layer without the task engine.
#pragma once

#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "agent/api/agent_service.h"
#include "common/error.h"

namespace skiff::agent::test {

class FakeService : public AgentService {
 public:
  std::filesystem::path log_dir;  // container logs are log_dir/TASK-CONTAINER.log
  std::string log_driver = "file";
  std::string exec_runtime = "/bin/echo";  // what exec_target names as the runtime

  // Adds a RUNNING task with one container "web" and returns its id.
  std::string add_task(const std::string& id, const std::string& family) {
    std::lock_guard lock(mutex_);
    tasks_[id] = nlohmann::json{{"taskId", id},
                                {"family", family},
                                {"desiredStatus", "RUNNING"},
                                {"knownStatus", "RUNNING"},
                                {"stoppedReason", ""},
                                {"createdAt", "2026-11-24T22:00:00Z"},
                                {"containers",
                                 {{{"name", "web"},
                                   {"image", "demo:1"},
                                   {"knownStatus", "RUNNING"},
                                   {"desiredStatus", "RUNNING"},
                                   {"health", "HEALTHY"},
                                   {"runtimeId", id + "-web"},
                                   {"pid", 4242}}}}};
    return id;
  }

  void push_event(nlohmann::json body) {
    {
      std::lock_guard lock(mutex_);
      events_.push_back(Event{events_.size() + 1, std::move(body)});
    }
    cv_.notify_all();
  }

  // Marks a task STOPPED the way the engine would after a stop.
  void mark_stopped(const std::string& id) {
    std::lock_guard lock(mutex_);
    tasks_.at(id)["knownStatus"] = "STOPPED";
  }

  std::string last_stop_reason() {
    std::lock_guard lock(mutex_);
    return last_stop_reason_;
  }
  std::string last_drain_reason() {
    std::lock_guard lock(mutex_);
    return last_drain_reason_;
  }
  std::string last_run_source() {
    std::lock_guard lock(mutex_);
    return last_run_source_;
  }

  nlohmann::json metadata() override {
    return {{"agentVersion", "test"}, {"hostname", "fake"}, {"mode", "standalone"}};
  }
  nlohmann::json list_tasks() override {
    std::lock_guard lock(mutex_);
    nlohmann::json all = nlohmann::json::array();
    for (const auto& [id, view] : tasks_) all.push_back(view);
    return all;
  }
  nlohmann::json describe_task(const std::string& id) override {
    std::lock_guard lock(mutex_);
    return find(id);
  }
  nlohmann::json run_task(const std::string& definition, const std::string& source) override {
    auto def = nlohmann::json::parse(definition);
    if (def.value("family", "") == "crash") throw std::logic_error("engine bug");
    // The engine starts some messages with the source, as it does for files it reads.
    if (def.value("family", "") == "sourced") throw Error(source + ": family: reserved");
    auto containers = def.value("containerDefinitions", nlohmann::json::array());
    for (std::size_t i = 0; i < containers.size(); ++i) {
      if (!containers[i].contains("image")) {
        throw Error("containerDefinitions[" + std::to_string(i) + "].image: missing");
      }
    }
    std::string id = "t" + std::to_string(next_id_++);
    add_task(id, def.value("family", "unnamed"));
    std::lock_guard lock(mutex_);
    last_run_source_ = source;
    // As the engine does for a field it does not honour: a warning in the answer.
    if (def.contains("taskRoleArn")) {
      tasks_[id]["warnings"] = {"taskRoleArn: the role is not assumed"};
    }
    return tasks_[id];
  }
  void stop_task(const std::string& id, const std::string& reason) override {
    std::lock_guard lock(mutex_);
    find(id);
    tasks_[id]["desiredStatus"] = "STOPPED";
    last_stop_reason_ = reason;
  }
  nlohmann::json task_stats(const std::string& id) override {
    std::lock_guard lock(mutex_);
    find(id);
    return {{"containers",
             {{"web",
               {{"memory", {{"current", 1048576}, {"limit", 8388608}}},
                {"cpu", {{"usageUsec", 1500000}}},
                {"pids", {{"current", 3}}}}},
              {"side", {{"memory", {{"current", 2048}, {"limit", nullptr}}}, {"pids", 1}}}}}};
  }
  LogSource log_source(const std::string& id, const std::string& container) override {
    std::lock_guard lock(mutex_);
    check_container(id, container);
    return {log_driver, log_dir / (id + "-" + container + ".log"), id + "-" + container};
  }
  ExecTarget exec_target(const std::string& id, const std::string& container) override {
    std::lock_guard lock(mutex_);
    check_container(id, container);
    return {exec_runtime, "/run/skiff/runtime", id + "-" + container};
  }
  std::vector<Event> events_since(std::uint64_t after, std::chrono::milliseconds wait) override {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, wait, [&] { return events_.size() > after; });
    if (events_.size() <= after) return {};
    return {events_.begin() + static_cast<std::ptrdiff_t>(after), events_.end()};
  }
  void drain(const std::string& reason) override {
    std::lock_guard lock(mutex_);
    last_drain_reason_ = reason;
    for (auto& [id, view] : tasks_) view["desiredStatus"] = "STOPPED";
  }

 private:
  nlohmann::json& find(const std::string& id) {
    auto it = tasks_.find(id);
    if (it == tasks_.end()) throw NotFound("no task " + id);
    return it->second;
  }
  void check_container(const std::string& id, const std::string& container) {
    for (const auto& c : find(id)["containers"]) {
      if (c["name"] == container) return;
    }
    throw NotFound("task " + id + " has no container " + container);
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::map<std::string, nlohmann::json> tasks_;
  std::vector<Event> events_;
  int next_id_ = 1;
  std::string last_stop_reason_;
  std::string last_drain_reason_;
  std::string last_run_source_;
};

}  // namespace skiff::agent::test
