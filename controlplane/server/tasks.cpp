// Controller: placing, dispatching and stopping tasks, and recording their transitions.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "controlplane/server/controller.h"
#include "controlplane/server/taskdef.h"

namespace skiff::cp {
namespace {

using nlohmann::json;

// Task health from its containers: any UNHEALTHY wins; a container with a health check
// that is not yet HEALTHY keeps the task UNKNOWN; no health checks at all means HEALTHY.
std::string task_health(const json& definition, const json& containers) {
  const auto checked = health_checked_containers(definition);
  bool all_healthy = true;
  for (const auto& c : containers) {
    if (c.value("health", "UNKNOWN") == "UNHEALTHY") return "UNHEALTHY";
  }
  for (const auto& name : checked) {
    bool healthy = false;
    for (const auto& c : containers) {
      if (c.value("name", "") == name && c.value("health", "") == "HEALTHY") healthy = true;
    }
    all_healthy = all_healthy && healthy;
  }
  return all_healthy ? "HEALTHY" : "UNKNOWN";
}

}  // namespace

std::vector<Candidate> Controller::candidates(const std::string& cl,
                                              const std::string& group) const {
  std::vector<Candidate> out;
  for (const auto& [id, inst] : instances_) {
    if (inst.cluster != cl || inst.status != "ACTIVE" || !inst.connected) continue;
    Candidate c;
    c.instance = &inst;
    if (auto it = tasksByInstance_.find(id); it != tasksByInstance_.end()) {
      for (const auto& tid : it->second) {
        const auto& t = tasks_.at(tid);
        if (t.stopped() || t.lost) continue;
        c.usedCpu += t.cpu;
        c.usedMemoryMiB += t.memoryMiB;
        c.usedPorts.insert(t.hostPorts.begin(), t.hostPorts.end());
        c.usedUdpPorts.insert(t.hostUdpPorts.begin(), t.hostUdpPorts.end());
        ++c.tasks;
        const auto g = t.service.empty() ? "family:" + t.family : "service:" + t.service;
        if (g == group && t.desiredStatus == "RUNNING") ++c.groupTasks;
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

Task& Controller::create_task(const std::string& cl, const TaskDef& td,
                              const std::string& instance_id, const std::string& started_by,
                              const std::string& svc, const std::string& deployment_id) {
  Task t;
  t.id = new_id("t-");
  t.cluster = cl;
  t.instanceId = instance_id;
  t.family = td.family;
  t.revision = td.revision;
  t.startedBy = started_by;
  t.service = svc;
  t.deploymentId = deployment_id;
  t.desiredSeq = next_desired_seq();
  t.createdMs = now_ms();
  t.cpu = td.cpu;
  t.memoryMiB = td.memoryMiB;
  t.hostPorts = td.hostPorts;
  t.hostUdpPorts = td.hostUdpPorts;
  t.transitions.push_back({iso_time(t.createdMs), t.createdMs, t.lastStatus, t.healthStatus,
                           "placed on " + instance_id});
  auto& stored = tasks_[t.id] = std::move(t);
  tasksByInstance_[instance_id].insert(stored.id);
  save(stored);
  dispatch(stored);
  return stored;
}

protocol::TaskSpec Controller::spec(const Task& t) const {
  protocol::TaskSpec s;
  s.taskId = t.id;
  s.cluster = t.cluster;
  s.family = t.family;
  s.revision = t.revision;
  s.desiredStatus = t.desiredStatus;
  s.desiredSeq = t.desiredSeq;
  s.startedBy = t.startedBy;
  auto td = taskdefs_.find(t.taskDefinition());
  s.taskDefinition = td != taskdefs_.end() ? td->second.definition : json::object();
  return s;
}

void Controller::dispatch(Task& t) {
  auto it = links_.find(t.instanceId);
  if (it == links_.end()) return;  // sent in the TaskManifest after the next Hello
  const auto seq = it->second.link->send(protocol::Payload{{spec(t)}});
  it->second.awaitingAck[seq].push_back(t.id);
}

void Controller::request_stop(Task& t, const std::string& reason) {
  if (t.stopped()) return;
  if (t.desiredStatus == "STOPPED") return;
  t.desiredStatus = "STOPPED";
  t.desiredSeq = next_desired_seq();
  if (t.stopRequestReason.empty()) t.stopRequestReason = reason;
  if (t.drainUntilMs == 0) t.drainUntilMs = now_ms();
  set_status(t, "STOPPING", t.healthStatus, reason);
  if (auto it = links_.find(t.instanceId); it != links_.end()) {
    const auto seq = it->second.link->send(protocol::StopTask{t.id, reason, t.desiredSeq});
    it->second.awaitingAck[seq];  // acked like any other frame, nothing to promote
  }
}

void Controller::set_status(Task& t, const std::string& last_status, const std::string& health,
                            const std::string& reason) {
  if (t.lastStatus == last_status && t.healthStatus == health) return;
  const bool became_stopped = last_status == "STOPPED" && !t.stopped();
  const bool became_unhealthy = health == "UNHEALTHY" && t.healthStatus != "UNHEALTHY";
  t.lastStatus = last_status;
  t.healthStatus = health;
  const bool became_healthy = t.healthy() && !t.everHealthy;
  if (t.healthy()) t.everHealthy = true;
  const auto now = now_ms();
  t.transitions.push_back({iso_time(now), now, last_status, health, reason});
  save(t);
  spdlog::info("task {} ({}): {} {}{}", t.id, t.taskDefinition(), last_status, health,
               reason.empty() ? "" : " (" + reason + ")");
  if (!t.service.empty() && (became_stopped || became_unhealthy)) on_service_task_changed(t);
  if (!t.service.empty() && became_healthy) on_service_task_healthy(t);
}

void Controller::apply_known(Task& t, const std::string& known, const std::string& stopped_reason,
                             const json& containers) {
  if (t.stopped()) return;  // STOPPED is final
  t.containers = containers;
  auto td = taskdefs_.find(t.taskDefinition());
  const auto health =
      known == "RUNNING"
          ? task_health(td != taskdefs_.end() ? td->second.definition : json::object(), containers)
          : t.healthStatus;
  if (known == "STOPPED") {
    t.stoppedReason = !t.stopRequestReason.empty() ? t.stopRequestReason : stopped_reason;
    set_status(t, "STOPPED", t.healthStatus, stopped_reason);
    return;
  }
  std::string status = t.lastStatus;
  if (known == "PENDING" && status == "PROVISIONING") status = "PENDING";
  if (known == "RUNNING" && (status == "PROVISIONING" || status == "PENDING")) status = "RUNNING";
  if (status == t.lastStatus && health == t.healthStatus) {
    save(t);  // containers may have changed
    return;
  }
  set_status(t, status, health, "");
}

// --- admin API

json Controller::run_task(const std::string& cl, const json& body) {
  cluster(cl);
  if (!body.is_object() || !body.contains("taskDefinition") ||
      !body["taskDefinition"].is_string()) {
    throw ApiError(400, "bad_request", "taskDefinition: missing");
  }
  const auto& td = taskdef(body["taskDefinition"].get<std::string>());
  if (td.status != "ACTIVE")
    throw ApiError(400, "bad_request", "taskDefinition: " + td.key() + " is INACTIVE");
  std::uint64_t count = 1;
  if (body.contains("count")) {
    if (!body["count"].is_number_unsigned() || body["count"].get<std::uint64_t>() < 1 ||
        body["count"].get<std::uint64_t>() > 1000) {
      throw ApiError(400, "bad_request", "count: expected an integer 1-1000");
    }
    count = body["count"].get<std::uint64_t>();
  }
  std::vector<Constraint> constraints;
  Strategy strategy;
  try {
    constraints = constraints_for(td, body.value("placementConstraints", json()));
    strategy = parse_strategy(body.value("placementStrategy", json()));
  } catch (const skiff::Error& e) {
    throw ApiError(400, "bad_request", e.what());
  }
  const auto started_by = body.contains("startedBy") && body["startedBy"].is_string()
                              ? body["startedBy"].get<std::string>()
                              : std::string();
  auto cands = candidates(cl, "family:" + td.family);
  json tasks = json::array(), failures = json::array();
  for (std::uint64_t n = 0; n < count; ++n) {
    std::string why;
    auto chosen = place(cands, demand_of(td), constraints, strategy, why);
    if (!chosen) {
      failures.push_back({{"reason", why}});
      continue;
    }
    auto& t = create_task(cl, td, cands[*chosen].instance->id, started_by, "", "");
    tasks.push_back(task_json(t));
  }
  return {{"tasks", tasks}, {"failures", failures}};
}

json Controller::task_json(const Task& t) const {
  json j = t;
  j["taskDefinitionArn"] = t.taskDefinition();
  j["createdAt"] = iso_time(t.createdMs);
  j.erase("createdMs");
  j.erase("drainUntilMs");
  j["draining"] = t.drainUntilMs != 0 && !t.stopped();
  return j;
}

json Controller::list_tasks(const std::string& cl, const std::string& svc) const {
  cluster(cl);
  json out = json::array();
  for (const auto& [id, t] : tasks_) {
    if (t.cluster == cl && (svc.empty() || t.service == svc)) out.push_back(task_json(t));
  }
  return {{"tasks", out}};
}

json Controller::describe_task(const std::string& id) const {
  auto it = tasks_.find(id);
  if (it == tasks_.end()) throw ApiError(404, "not_found", "task '" + id + "' not found");
  return task_json(it->second);
}

json Controller::stop_task(const std::string& id, const json& body) {
  auto& t = task(id);
  std::string reason = "Task stopped by user";
  if (body.is_object() && body.contains("reason")) {
    if (!body["reason"].is_string())
      throw ApiError(400, "bad_request", "reason: expected a string");
    reason = body["reason"].get<std::string>();
  }
  if (t.stopped()) return task_json(t);
  t.stopRequestReason = reason;
  request_stop(t, reason);
  // An agent that never acknowledged the task does not have it: nothing to wait for.
  if (t.lastStatus == "STOPPING" && !links_.count(t.instanceId) && t.transitions.size() >= 2 &&
      t.transitions[t.transitions.size() - 2].lastStatus == "PROVISIONING") {
    t.stoppedReason = reason;
    set_status(t, "STOPPED", t.healthStatus, reason);
  }
  return task_json(t);
}

}  // namespace skiff::cp
