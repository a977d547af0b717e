#include "skiffctl/cp_watch.h"

#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <thread>

#include "skiffctl/cp_common.h"

namespace skiff::ctl {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

const json* find_deployment(const json& svc, const std::function<bool(const json&)>& pred) {
  if (!svc.contains("deployments") || !svc["deployments"].is_array()) return nullptr;
  for (const auto& d : svc["deployments"]) {
    if (pred(d)) return &d;
  }
  return nullptr;
}

const json* primary(const json& svc) {
  return find_deployment(svc, [](const json& d) { return field(d, "status") == "PRIMARY"; });
}

// The service controller erases a failed deployment as soon as its last task is gone (a
// rollback can get there within one tick), so its event is the lasting record.
std::string failure_event(const json& svc, const std::string& deployment_id) {
  const std::string prefix = "deployment " + deployment_id + " failed";
  for (const auto& e : svc.value("events", json::array())) {
    const std::string m = field(e, "message");
    if (m.rfind(prefix, 0) == 0) return m;
  }
  return "";
}

std::string describe(const std::string& id, const std::string& taskdef) {
  return fmt::format("deployment {} ({})", id, taskdef);
}

void print_row(const TransitionRow& r, bool as_json) {
  if (as_json) {
    std::cout << json{{"at", r.at},
                      {"taskId", r.taskId},
                      {"taskDefinition", r.taskDefinition},
                      {"lastStatus", r.lastStatus},
                      {"healthStatus", r.healthStatus},
                      {"reason", r.reason}}
                     .dump()
              << std::endl;
    return;
  }
  std::string line =
      fmt::format("{:<12}  {:<18}  {:<10}  {:<12}  {:<9}  {}", clock_time(r.at), r.taskId,
                  r.taskDefinition, r.lastStatus, r.healthStatus, r.reason);
  line.erase(line.find_last_not_of(' ') + 1);
  std::cout << line << std::endl;  // flushed: this is a live view
}

void print_note(const std::string& text, bool as_json) {
  if (as_json) {
    std::cout << json{{"note", text}}.dump() << std::endl;
  } else {
    std::cout << text << std::endl;
  }
}

}  // namespace

std::vector<TransitionRow> TransitionLog::take_new(const json& tasks) {
  std::vector<TransitionRow> out;
  if (!tasks.is_array()) return out;
  for (const auto& t : tasks) {
    if (!t.contains("transitions") || !t["transitions"].is_array()) continue;
    const auto& trs = t["transitions"];
    auto& seen = seen_[field(t, "id")];
    for (; seen < trs.size(); ++seen) {
      const auto& tr = trs[seen];
      if (field(tr, "at") < since_) continue;
      out.push_back({field(tr, "at"), tr.value("atMs", std::int64_t{0}), field(t, "id"),
                     field(t, "taskDefinitionArn"), field(tr, "lastStatus"),
                     field(tr, "healthStatus"), field(tr, "reason")});
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const TransitionRow& a, const TransitionRow& b) {
    return a.at < b.at;  // ISO 8601 UTC with fixed width: text order is time order
  });
  return out;
}

void wait_for_service(const CpClient& client, const WaitArgs& args, bool as_json) {
  const std::string svc_path =
      api_path("clusters", args.cluster, fmt::format("/services/{}", url_segment(args.service)));
  const std::string tasks_path = api_path(
      "clusters", args.cluster, fmt::format("/tasks?service={}", url_segment(args.service)));

  json svc = client.call("GET", svc_path);
  const json* start = primary(svc);
  if (!start) throw Error(fmt::format("service '{}' has no PRIMARY deployment", args.service));
  std::string id = field(*start, "id");
  std::string taskdef = field(*start, "taskDefinition");
  std::string since = field(*start, "createdAt");
  // A circuit breaker can fail an update and start its rollback before `update` then
  // `wait` gets here: the rollout the user asked for is the failed one, so follow that.
  if (const json rolled = start->value("rollbackOf", json::object());
      !field(rolled, "id").empty()) {
    id = field(rolled, "id");
    taskdef = field(rolled, "taskDefinition");
    since = field(rolled, "createdAt");
  }
  if (!args.deployment.empty()) {
    id = args.deployment;
    const json* named = find_deployment(svc, [&](const json& x) { return field(x, "id") == id; });
    const json rolled = start->value("rollbackOf", json::object());
    if (named != nullptr) {
      taskdef = field(*named, "taskDefinition");
      since = field(*named, "createdAt");
    } else if (field(rolled, "id") == id) {
      taskdef = field(rolled, "taskDefinition");
      since = field(rolled, "createdAt");
    } else if (failure_event(svc, id).empty()) {
      throw Error(fmt::format("service '{}' has no deployment {}", args.service, id));
    } else {
      taskdef = "?";  // failed and erased: its event is all that is left
    }
  }
  // Everything since the deployment began, so `update` then `wait` shows the whole rollout.
  TransitionLog log(since);
  print_note(fmt::format("waiting for {} of service {}: rolloutState {}", describe(id, taskdef),
                         args.service,
                         id == field(*start, "id") ? field(*start, "rolloutState") : "FAILED"),
             as_json);
  if (!as_json) {
    std::cout << fmt::format("{:<12}  {:<18}  {:<10}  {:<12}  {:<9}  {}", "TIME", "TASK", "TASKDEF",
                             "STATUS", "HEALTH", "REASON")
              << std::endl;
  }

  const auto deadline = Clock::now() + args.timeout;
  for (;;) {
    // The service first, then the tasks: every transition that led to the state we are
    // about to judge is already in the task list, so it is printed before the verdict.
    svc = client.call("GET", svc_path);
    const json tasks = client.call("GET", tasks_path).value("tasks", json::array());
    for (const auto& row : log.take_new(tasks)) print_row(row, as_json);

    const json* d = find_deployment(svc, [&](const json& x) { return field(x, "id") == id; });
    const json* now_primary = primary(svc);
    std::string failure = failure_event(svc, id);
    if (failure.empty() && d && field(*d, "rolloutState") == "FAILED") {
      failure = "rolloutState FAILED";
    }
    if (failure.empty() && !d && now_primary &&
        field(now_primary->value("rollbackOf", json::object()), "id") == id) {
      failure = "rolled back";
    }
    if (!failure.empty()) {
      if (now_primary && field(*now_primary, "id") != id) {
        failure +=
            fmt::format("; now {} ({})",
                        describe(field(*now_primary, "id"), field(*now_primary, "taskDefinition")),
                        field(*now_primary, "reason"));
      }
      if (as_json) {
        std::cout
            << json{{"deploymentId", id}, {"rolloutState", "FAILED"}, {"reason", failure}}.dump()
            << std::endl;
      }
      throw Error(fmt::format("{} FAILED: {}", describe(id, taskdef), failure));
    }
    if (d && field(*d, "rolloutState") == "COMPLETED") {
      if (as_json) {
        std::cout
            << json{{"deploymentId", id}, {"rolloutState", "COMPLETED"}, {"deployment", *d}}.dump()
            << std::endl;
      } else {
        std::cout << fmt::format("{} COMPLETED: {} healthy of {} desired", describe(id, taskdef),
                                 field(*d, "healthyCount"), field(svc, "desiredCount"))
                  << std::endl;
      }
      return;
    }
    if (!d) {
      if (!args.deployment.empty()) {
        throw Error(fmt::format("{} was replaced{} before it completed", describe(id, taskdef),
                                now_primary
                                    ? " by " + describe(field(*now_primary, "id"),
                                                        field(*now_primary, "taskDefinition"))
                                    : std::string()));
      }
      // Replaced by a newer update while we waited: that is the rollout to follow now.
      if (!now_primary) {
        throw Error(fmt::format("{} is gone and service '{}' has no PRIMARY deployment",
                                describe(id, taskdef), args.service));
      }
      const std::string next_id = field(*now_primary, "id");
      const std::string next_td = field(*now_primary, "taskDefinition");
      print_note(
          fmt::format("{} was replaced by {}", describe(id, taskdef), describe(next_id, next_td)),
          as_json);
      id = next_id;
      taskdef = next_td;
      continue;
    }
    if (Clock::now() >= deadline) {
      throw Error(
          fmt::format("timed out after {} s: {} is still {}",
                      std::chrono::duration_cast<std::chrono::seconds>(args.timeout).count(),
                      describe(id, taskdef), field(*d, "rolloutState")));
    }
    std::this_thread::sleep_for(args.poll);
  }
}

}  // namespace skiff::ctl
