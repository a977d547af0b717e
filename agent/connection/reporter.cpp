// Engine -> control plane: task state changes (through the Outbox) and periodic Metrics.
// Runs on the reporter thread, which follows the engine's event log.
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <set>

#include "agent/connection/client_impl.h"
#include "agent/engine/engine.h"

namespace skiff::agent {
namespace {

// Even without events, everything is compared now and then: the event log is bounded and a
// missed event must not leave the control plane wrong forever.
constexpr auto kFullScanEvery = std::chrono::seconds(10);

}  // namespace

void ControlPlaneClient::Impl::reporter_loop() {
  // What the tasks look like now is what the next Hello says; only later changes need a
  // StateChange.
  for (const auto& view : engine.list_tasks()) {
    if (from_control_plane(view)) reported[view["taskId"]] = report_of(view);
  }
  std::uint64_t after = engine.events().last_seq();
  auto next_scan = std::chrono::steady_clock::now() + kFullScanEvery;
  auto next_metrics = std::chrono::steady_clock::now() + options.metrics_interval;
  for (;;) {
    {
      std::lock_guard lock(mu);
      if (reporter_stop) return;
    }
    std::vector<std::string> touched;
    bool any = false;
    try {
      for (const auto& e : engine.events().since(after, std::chrono::milliseconds(500))) {
        after = e.seq;
        any = true;
        if (e.body.contains("taskId") && e.body["taskId"].is_string()) {
          touched.push_back(e.body["taskId"]);
        }
      }
      const auto now = std::chrono::steady_clock::now();
      if (now >= next_scan) {
        touched.clear();
        scan({});
        next_scan = now + kFullScanEvery;
      } else if (any) {
        scan(touched);
      }
      if (now >= next_metrics) {
        send_metrics();
        next_metrics = now + options.metrics_interval;
      }
    } catch (const std::exception& e) {
      spdlog::error("control plane reporter: {}", e.what());
      std::unique_lock lock(mu);
      cv.wait_for(lock, std::chrono::seconds(1), [&] { return reporter_stop; });
    }
  }
}

void ControlPlaneClient::Impl::scan(const std::vector<std::string>& task_ids) {
  std::vector<nlohmann::json> views;
  if (task_ids.empty()) {
    std::set<std::string> alive;
    for (auto& v : engine.list_tasks()) {
      alive.insert(v["taskId"].get<std::string>());
      views.push_back(std::move(v));
    }
    std::erase_if(reported, [&](const auto& e) { return !alive.count(e.first); });
    desired.retain(alive);
  } else {
    for (const auto& id : std::set<std::string>(task_ids.begin(), task_ids.end())) {
      try {
        views.push_back(engine.describe_task(id));
      } catch (const NotFound&) {
        reported.erase(id);  // forgotten after the cleanup wait
      }
    }
  }
  for (const auto& view : views) {
    if (!from_control_plane(view)) continue;
    const std::string id = view["taskId"];
    auto now = report_of(view);
    auto it = reported.find(id);
    if (it != reported.end() && it->second == now) continue;
    reported[id] = now;
    report(state_change(id, now));
  }
}

void ControlPlaneClient::Impl::send_metrics() {
  protocol::Metrics m;
  m.at = protocol::now_rfc3339();
  std::uint64_t memory = 0;
  std::uint64_t cpu_ns = 0;
  for (const auto& view : engine.list_tasks()) {
    if (!from_control_plane(view) || view["knownStatus"] != "RUNNING") continue;
    nlohmann::json stats;
    try {
      stats = engine.task_stats(view["taskId"]);
    } catch (const std::exception&) {
      continue;  // stopped in between
    }
    std::uint64_t task_memory = 0, task_cpu_us = 0, task_pids = 0;
    for (const auto& [name, c] : stats["containers"].items()) {
      task_memory += c["memory"].value("current", std::uint64_t{0});
      task_cpu_us += c["cpu"].value("usageUsec", std::uint64_t{0});
      task_pids += c.value("pids", std::uint64_t{0});
    }
    memory += task_memory;
    cpu_ns += task_cpu_us * 1000;
    m.tasks.push_back({{"taskId", view["taskId"]},
                       {"cpuUsageNs", task_cpu_us * 1000},
                       {"memoryBytes", task_memory},
                       {"pids", task_pids}});
  }
  m.instance = {{"memoryUsedMiB", memory >> 20}, {"cpuUsageNs", cpu_ns}};
  net::post(ioc,
            [self = shared_from_this(), m = std::move(m)]() mutable { self->send(std::move(m)); });
}

}  // namespace skiff::agent
