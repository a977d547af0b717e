// Controller: services, rolling deployments, the circuit breaker, disconnected instances
// (docs/protocol.md, "Rolling deployment").
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include "controlplane/server/controller.h"

namespace skiff::cp {
namespace {

// 1 s after the first failed start, doubling, at most 5 minutes.
std::int64_t launch_backoff_ms(std::uint64_t failed_in_a_row) {
  constexpr std::int64_t kFirstMs = 1000;
  constexpr std::int64_t kMaxMs = 5 * 60 * 1000;
  const std::uint64_t doublings = std::min<std::uint64_t>(failed_in_a_row - 1, 20);
  return std::min(kMaxMs, kFirstMs << doublings);
}

using nlohmann::json;

constexpr std::size_t kMaxEvents = 200;

std::uint64_t get_u64(const json& obj, const char* key, std::uint64_t fallback,
                      const std::string& path) {
  if (!obj.contains(key) || obj[key].is_null()) return fallback;
  const auto& v = obj[key];
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer() && v.get<std::int64_t>() >= 0) {
    return static_cast<std::uint64_t>(v.get<std::int64_t>());
  }
  throw ApiError(400, "bad_request",
                 fmt::format("{}{}: expected a non-negative integer", path, key));
}

bool get_bool(const json& obj, const char* key, bool fallback, const std::string& path) {
  if (!obj.contains(key) || obj[key].is_null()) return fallback;
  if (!obj[key].is_boolean()) {
    throw ApiError(400, "bad_request", fmt::format("{}{}: expected true or false", path, key));
  }
  return obj[key].get<bool>();
}

void apply_deployment_config(Service& s, const json& body) {
  if (!body.contains("deploymentConfiguration")) return;
  const auto& dc = body["deploymentConfiguration"];
  if (!dc.is_object())
    throw ApiError(400, "bad_request", "deploymentConfiguration: expected an object");
  const std::string p = "deploymentConfiguration.";
  s.minimumHealthyPercent = get_u64(dc, "minimumHealthyPercent", s.minimumHealthyPercent, p);
  s.maximumPercent = get_u64(dc, "maximumPercent", s.maximumPercent, p);
  if (dc.contains("deploymentCircuitBreaker")) {
    const auto& cb = dc["deploymentCircuitBreaker"];
    if (!cb.is_object()) {
      throw ApiError(400, "bad_request", p + "deploymentCircuitBreaker: expected an object");
    }
    const auto cp = p + "deploymentCircuitBreaker.";
    s.circuitBreakerEnable = get_bool(cb, "enable", s.circuitBreakerEnable, cp);
    s.circuitBreakerRollback = get_bool(cb, "rollback", s.circuitBreakerRollback, cp);
    s.circuitBreakerThreshold = get_u64(cb, "threshold", s.circuitBreakerThreshold, cp);
  }
  if (s.minimumHealthyPercent > 100) {
    throw ApiError(400, "bad_request", p + "minimumHealthyPercent: at most 100");
  }
  if (s.maximumPercent < 100)
    throw ApiError(400, "bad_request", p + "maximumPercent: at least 100");
  if (s.minimumHealthyPercent == 100 && s.maximumPercent == 100) {
    throw ApiError(400, "bad_request",
                   p + "maximumPercent: 100 with minimumHealthyPercent 100 cannot replace a task");
  }
}

std::uint64_t breaker_threshold(const Service& s) {
  if (s.circuitBreakerThreshold > 0) return s.circuitBreakerThreshold;
  const auto half = (s.desiredCount + 1) / 2;
  return std::max<std::uint64_t>(3, std::min<std::uint64_t>(200, half));
}

}  // namespace

void Controller::add_event(Service& s, const std::string& message) {
  spdlog::info("service {}: {}", s.key(), message);
  s.events.push_back({iso_time(now_ms()), message});
  if (s.events.size() > kMaxEvents) s.events.erase(s.events.begin());
}

Deployment& Controller::start_deployment(Service& s, const std::string& taskdef_ref,
                                         const std::string& why) {
  const auto now = iso_time(now_ms());
  for (auto& d : s.deployments) {
    if (d.status == "PRIMARY") {
      d.status = "ACTIVE";
      d.updatedAt = now;
    }
  }
  Deployment d;
  d.id = new_id("d-");
  d.taskDefinition = taskdef_ref;
  d.createdAt = d.updatedAt = now;
  d.reason = why;
  s.taskDefinition = taskdef_ref;
  s.deployments.push_back(d);
  add_event(s, fmt::format("deployment {} of {} started ({})", d.id, taskdef_ref, why));
  return s.deployments.back();
}

json Controller::create_service(const std::string& cl, const json& body) {
  cluster(cl);
  if (!body.is_object() || !body.contains("serviceName") || !body["serviceName"].is_string()) {
    throw ApiError(400, "bad_request", "serviceName: missing");
  }
  Service s;
  s.name = body["serviceName"].get<std::string>();
  s.cluster = cl;
  if (s.name.empty() || s.name.size() > 255 || s.name.find_first_of("/ ") != std::string::npos) {
    throw ApiError(400, "bad_request", "serviceName: '" + s.name + "' is not a valid name");
  }
  if (services_.count(s.key())) throw ApiError(409, "conflict", "service '" + s.name + "' exists");
  if (!body.contains("taskDefinition") || !body["taskDefinition"].is_string()) {
    throw ApiError(400, "bad_request", "taskDefinition: missing");
  }
  const auto& td = taskdef(body["taskDefinition"].get<std::string>());
  if (td.status != "ACTIVE")
    throw ApiError(400, "bad_request", "taskDefinition: " + td.key() + " is INACTIVE");
  s.desiredCount = get_u64(body, "desiredCount", 1, "");
  s.deregistrationDelaySeconds = get_u64(body, "deregistrationDelaySeconds", 30, "");
  apply_deployment_config(s, body);
  try {
    s.placementConstraints = body.value("placementConstraints", json::array());
    s.placementStrategy = body.value("placementStrategy", json::array());
    parse_constraints(s.placementConstraints);
    parse_strategy(s.placementStrategy);
  } catch (const ApiError&) {
    throw;
  } catch (const skiff::Error& e) {
    throw ApiError(400, "bad_request", e.what());
  }
  s.createdAt = iso_time(now_ms());
  start_deployment(s, td.key(), "service created");
  save(s);
  auto& stored = services_[s.key()] = std::move(s);
  reconcile(stored, now_ms());
  return service_json(stored);
}

json Controller::update_service(const std::string& cl, const std::string& name, const json& body) {
  auto& s = service(cl, name);
  if (!body.is_object()) throw ApiError(400, "bad_request", "body: expected an object");
  if (s.status != "ACTIVE")
    throw ApiError(409, "conflict", "service '" + name + "' is being deleted");
  Service updated = s;
  updated.desiredCount = get_u64(body, "desiredCount", s.desiredCount, "");
  updated.deregistrationDelaySeconds =
      get_u64(body, "deregistrationDelaySeconds", s.deregistrationDelaySeconds, "");
  apply_deployment_config(updated, body);
  if (body.contains("taskDefinition")) {
    if (!body["taskDefinition"].is_string()) {
      throw ApiError(400, "bad_request", "taskDefinition: expected a string");
    }
    const auto& td = taskdef(body["taskDefinition"].get<std::string>());
    if (td.status != "ACTIVE") {
      throw ApiError(400, "bad_request", "taskDefinition: " + td.key() + " is INACTIVE");
    }
    auto* prim = updated.primary();
    if (!prim || prim->taskDefinition != td.key() || body.value("forceNewDeployment", false)) {
      start_deployment(updated, td.key(), "service updated");
    }
  }
  if (updated.desiredCount != s.desiredCount) {
    add_event(updated, fmt::format("desired count {} -> {}", s.desiredCount, updated.desiredCount));
  }
  s = std::move(updated);
  save(s);
  reconcile(s, now_ms());
  return service_json(s);
}

json Controller::delete_service(const std::string& cl, const std::string& name) {
  auto& s = service(cl, name);
  s.status = "DRAINING";
  s.desiredCount = 0;
  add_event(s, "service deleted: stopping its tasks");
  save(s);
  reconcile(s, now_ms());
  return service_json(s);
}

json Controller::service_json(const Service& s) const {
  json j = s;
  json endpoints = json::array();
  std::map<std::string, std::uint64_t> running, healthy, pending;
  for (const auto& [id, t] : tasks_) {
    if (t.cluster != s.cluster || t.service != s.name || t.stopped() || t.lost) continue;
    if (t.lastStatus == "RUNNING") ++running[t.deploymentId];
    if (t.lastStatus == "PROVISIONING" || t.lastStatus == "PENDING") ++pending[t.deploymentId];
    if (!t.healthy()) continue;
    ++healthy[t.deploymentId];
    auto inst = instances_.find(t.instanceId);
    if (inst == instances_.end()) continue;
    for (auto port : t.hostPorts)
      endpoints.push_back(fmt::format("{}:{}", inst->second.address, port));
  }
  for (auto& d : j["deployments"]) {
    const auto id = d["id"].get<std::string>();
    d["runningCount"] = running[id];
    d["healthyCount"] = healthy[id];
    d["pendingCount"] = pending[id];
  }
  j["endpoints"] = endpoints;
  j["circuitBreakerThresholdEffective"] = breaker_threshold(s);
  return j;
}

json Controller::describe_service(const std::string& cl, const std::string& name) const {
  return service_json(service(cl, name));
}

json Controller::list_services(const std::string& cl) const {
  cluster(cl);
  json out = json::array();
  for (const auto& [k, s] : services_) {
    if (s.cluster == cl) out.push_back(service_json(s));
  }
  return {{"services", out}};
}

// A service task stopped or turned unhealthy: a failed start if it never was healthy.
void Controller::on_service_task_changed(Task& t) {
  auto it = services_.find(t.cluster + "/" + t.service);
  if (it == services_.end()) return;
  auto& s = it->second;
  if (t.stopped()) {
    add_event(s, fmt::format("task {} stopped: {}", t.id,
                             t.stoppedReason.empty() ? "no reason given" : t.stoppedReason));
  }
  if (t.everHealthy || t.failedStart || !t.stopRequestReason.empty()) {
    save(s);
    return;
  }
  t.failedStart = true;
  save(t);
  // Throttle: a service whose tasks fail at once is relaunched ever more slowly, not at
  // the speed of the tick (88 tasks in 24 s were seen), until one of its tasks is healthy.
  ++s.failedStartsInARow;
  const std::int64_t delay = launch_backoff_ms(s.failedStartsInARow);
  s.launchNotBeforeMs = now_ms() + delay;
  add_event(s, fmt::format("service {} is unable to consistently start tasks successfully: "
                           "{} failed starts in a row; the next launch waits {} s",
                           s.name, s.failedStartsInARow, delay / 1000));
  auto dep = std::find_if(s.deployments.begin(), s.deployments.end(),
                          [&](const Deployment& d) { return d.id == t.deploymentId; });
  if (dep == s.deployments.end()) {
    save(s);
    return;
  }
  ++dep->failedTasks;
  dep->updatedAt = iso_time(now_ms());
  if (s.circuitBreakerEnable && dep->status == "PRIMARY" && dep->rolloutState == "IN_PROGRESS" &&
      dep->failedTasks >= breaker_threshold(s)) {
    dep->rolloutState = "FAILED";
    add_event(s, fmt::format("deployment {} failed: circuit breaker tripped after {} failed tasks",
                             dep->id, dep->failedTasks));
    const DeploymentRef failed{dep->id, dep->taskDefinition, dep->createdAt};
    if (s.circuitBreakerRollback && !s.lastCompletedTaskDefinition.empty() &&
        s.lastCompletedTaskDefinition != failed.taskDefinition) {
      // dep is invalidated here: start_deployment appends to s.deployments.
      start_deployment(s, s.lastCompletedTaskDefinition,
                       "rollback of failed deployment " + failed.id)
          .rollbackOf = failed;
    }
  }
  save(s);
}

void Controller::on_service_task_healthy(const Task& t) {
  auto it = services_.find(t.cluster + "/" + t.service);
  if (it == services_.end() || it->second.failedStartsInARow == 0) return;
  it->second.failedStartsInARow = 0;
  it->second.launchNotBeforeMs = 0;
  save(it->second);
}

void Controller::take_out_of_service(Service& s, Task& t, const std::string& reason,
                                     std::int64_t now) {
  t.stopRequestReason = reason;
  if (t.healthy() && s.deregistrationDelaySeconds > 0) {
    // Out of the endpoint set first; StopTask when the delay is over (tick()).
    t.drainUntilMs = now + static_cast<std::int64_t>(s.deregistrationDelaySeconds) * 1000;
    set_status(t, "DEACTIVATING", t.healthStatus, reason);
    return;
  }
  request_stop(t, reason);
}

void Controller::reconcile(Service& s, std::int64_t now) {
  auto* prim = s.primary();
  if (!prim) return;
  const auto D = s.desiredCount;
  const auto min_healthy = static_cast<std::uint64_t>(
      std::ceil(static_cast<double>(D) * static_cast<double>(s.minimumHealthyPercent) / 100.0));
  const auto max_total = std::max<std::uint64_t>(D, D * s.maximumPercent / 100);

  std::vector<Task*> primary_active, removable;
  std::uint64_t total = 0, healthy = 0, primary_healthy = 0, old_left = 0;
  for (auto& [id, t] : tasks_) {
    if (t.cluster != s.cluster || t.service != s.name || t.stopped() || t.lost) continue;
    ++total;
    if (t.healthy()) ++healthy;
    const bool in_primary = t.deploymentId == prim->id;
    if (!in_primary) ++old_left;
    if (t.desiredStatus != "RUNNING" || t.drainUntilMs != 0) continue;  // already leaving
    // Tasks on a DRAINING instance are replaced like old-deployment ones.
    auto inst = instances_.find(t.instanceId);
    const bool draining_host = inst != instances_.end() && inst->second.status != "ACTIVE";
    if (in_primary && t.healthStatus != "UNHEALTHY" && !draining_host) {
      primary_active.push_back(&t);
      if (t.healthy()) ++primary_healthy;
    } else {
      removable.push_back(&t);  // old deployment, or unhealthy
    }
  }
  // Surplus primary tasks (scale-in), not-yet-healthy ones first.
  if (primary_active.size() > D) {
    std::stable_sort(primary_active.begin(), primary_active.end(),
                     [](Task* a, Task* b) { return !a->healthy() && b->healthy(); });
    removable.insert(
        removable.end(), primary_active.begin(),
        primary_active.begin() + static_cast<std::ptrdiff_t>(primary_active.size() - D));
    primary_active.resize(D);
  }
  // 2. Take tasks out: unhealthy ones cost nothing; healthy ones only above the minimum.
  std::stable_sort(removable.begin(), removable.end(),
                   [](Task* a, Task* b) { return !a->healthy() && b->healthy(); });
  std::uint64_t slack = healthy > min_healthy ? healthy - min_healthy : 0;
  for (auto* t : removable) {
    if (t->healthy()) {
      if (slack == 0) break;
      --slack;
    }
    auto inst = instances_.find(t->instanceId);
    const auto reason =
        t->healthStatus == "UNHEALTHY" ? std::string("Task failed container health checks")
        : inst != instances_.end() && inst->second.status != "ACTIVE"
            ? fmt::format("Container instance {} is {}", t->instanceId, inst->second.status)
            : fmt::format("Scaling activity initiated by (deployment {})", prim->id);
    take_out_of_service(s, *t, reason, now);
  }
  // 1. Start primary tasks within maximumPercent (not for a failed deployment).
  if (prim->rolloutState != "FAILED" && primary_active.size() < D && total < max_total &&
      s.status == "ACTIVE" && now >= s.launchNotBeforeMs) {
    auto n = std::min<std::uint64_t>(D - primary_active.size(), max_total - total);
    const TaskDef* td = nullptr;
    try {
      td = &taskdef(prim->taskDefinition);
    } catch (const ApiError& e) {
      add_event(s, e.what());
    }
    if (td) {
      auto cands = candidates(s.cluster, "service:" + s.name);
      const auto constraints = constraints_for(*td, s.placementConstraints);
      const auto strategy = parse_strategy(s.placementStrategy);
      const auto prim_id = prim->id;
      for (; n > 0; --n) {
        std::string why;
        auto chosen = place(cands, demand_of(*td), constraints, strategy, why);
        if (!chosen) {
          const auto msg = "unable to place a task: " + why;
          if (s.events.empty() || s.events.back().message != msg) add_event(s, msg);
          break;
        }
        auto& t = create_task(s.cluster, *td, cands[*chosen].instance->id, "service:" + s.name,
                              s.name, prim_id);
        add_event(s, fmt::format("started task {} ({}) on {}", t.id, td->key(), t.instanceId));
      }
      prim = s.primary();
    }
  }
  // 4. Completed: D healthy primary tasks and nothing else left.
  if (prim->rolloutState == "IN_PROGRESS" && primary_healthy >= D && old_left == 0) {
    prim->rolloutState = "COMPLETED";
    prim->updatedAt = iso_time(now);
    s.lastCompletedTaskDefinition = prim->taskDefinition;
    add_event(s, fmt::format("service {} has reached a steady state (deployment {} completed)",
                             s.name, prim->id));
    for (auto& d : s.deployments) {
      if (d.status == "ACTIVE") d.status = "INACTIVE";
    }
  }
  // Old deployments with no tasks left become INACTIVE.
  for (auto& d : s.deployments) {
    if (d.status != "ACTIVE") continue;
    bool any = false;
    for (const auto& [id, t] : tasks_) {
      any = any || (t.deploymentId == d.id && !t.stopped() && !t.lost);
    }
    if (!any) d.status = "INACTIVE";
  }
  std::erase_if(s.deployments, [](const Deployment& d) { return d.status == "INACTIVE"; });
  save(s);
}

void Controller::expire_disconnected(std::int64_t now) {
  for (auto& [id, inst] : instances_) {
    if (inst.connected || inst.disconnectedSinceMs == 0 ||
        now - inst.disconnectedSinceMs < options_.disconnectTimeoutMs) {
      continue;
    }
    auto it = tasksByInstance_.find(id);
    if (it == tasksByInstance_.end()) continue;
    for (const auto& tid : it->second) {
      auto& t = tasks_.at(tid);
      if (t.service.empty() || t.stopped() || t.lost) continue;
      t.lost = true;
      t.desiredStatus = "STOPPED";
      t.desiredSeq = next_desired_seq();
      t.stopRequestReason = "container instance disconnected; task replaced";
      const auto at = now_ms();
      t.transitions.push_back({iso_time(at), at, t.lastStatus, t.healthStatus,
                               "instance disconnected for too long: task replaced"});
      save(t);
      if (auto s = services_.find(t.cluster + "/" + t.service); s != services_.end()) {
        add_event(s->second,
                  fmt::format("task {} on disconnected instance {} will be replaced", t.id, id));
        save(s->second);
      }
    }
  }
}

void Controller::tick() {
  const auto now = now_ms();
  for (auto& [id, t] : tasks_) {
    if (t.drainUntilMs != 0 && now >= t.drainUntilMs && t.desiredStatus == "RUNNING" &&
        !t.stopped()) {
      request_stop(t, t.stopRequestReason);
    }
  }
  expire_disconnected(now);
  std::vector<std::string> gone;
  for (auto& [key, s] : services_) {
    reconcile(s, now);
    if (s.status == "DRAINING") {
      bool any = false;
      for (const auto& [id, t] : tasks_)
        any = any || (t.service == s.name && t.cluster == s.cluster && !t.stopped() && !t.lost);
      if (!any) gone.push_back(key);
    }
  }
  for (const auto& key : gone) {
    store_.erase("services", key);
    services_.erase(key);
  }
}

}  // namespace skiff::cp
