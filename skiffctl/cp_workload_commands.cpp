// `skiffctl cp task ...` and `skiffctl cp service ...`: what runs on the cluster. One admin
// API call each (docs/protocol.md, "Admin API"), plus `service wait` (cp_watch.cpp).
#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "skiffctl/cp_common.h"
#include "skiffctl/cp_watch.h"
#include "skiffctl/output.h"

namespace skiff::ctl {

namespace {

using nlohmann::json;

// --constraint 'attribute:arch == arm64' (memberOf) or 'distinctInstance', repeatable.
json constraints_json(const std::vector<std::string>& exprs) {
  json out = json::array();
  for (const auto& e : exprs) {
    out.push_back(e == "distinctInstance" ? json{{"type", "distinctInstance"}}
                                          : json{{"type", "memberOf"}, {"expression", e}});
  }
  return out;
}

void add_placement(json& body, const std::vector<std::string>& constraints,
                   const std::string& strategy) {
  if (!constraints.empty()) body["placementConstraints"] = constraints_json(constraints);
  if (!strategy.empty()) body["placementStrategy"] = json::array({{{"type", strategy}}});
}

void add_placement_options(CLI::App* c, std::vector<std::string>& constraints,
                           std::string& strategy) {
  c->add_option("--constraint", constraints,
                "'attribute:NAME == VALUE', 'attribute:NAME != VALUE' or 'distinctInstance' "
                "(repeatable)");
  c->add_option("--strategy", strategy, "Placement strategy (default spread)")
      ->check(CLI::IsMember({"binpack", "spread"}));
}

std::string task_path(const std::string& id) {
  return api_path("tasks", id);
}

std::vector<std::string> task_row(const json& t) {
  return {field(t, "id"),
          field(t, "taskDefinitionArn"),
          cell(t, "instanceId"),
          cell(t, "service"),
          field(t, "lastStatus"),
          field(t, "healthStatus"),
          field(t, "desiredStatus"),
          field(t, "createdAt")};
}

const std::vector<std::string> kTaskHeader = {"TASK",   "TASKDEF", "INSTANCE", "SERVICE",
                                              "STATUS", "HEALTH",  "DESIRED",  "CREATED"};

void print_task(const json& t) {
  print_fields(std::cout, {{"ID", field(t, "id")},
                           {"TASKDEF", field(t, "taskDefinitionArn")},
                           {"CLUSTER", field(t, "cluster")},
                           {"INSTANCE", field(t, "instanceId")},
                           {"SERVICE", field(t, "service")},
                           {"STARTED BY", field(t, "startedBy")},
                           {"DESIRED", field(t, "desiredStatus")},
                           {"STATUS", field(t, "lastStatus")},
                           {"HEALTH", field(t, "healthStatus")},
                           {"STOPPED REASON", field(t, "stoppedReason")},
                           {"CREATED", field(t, "createdAt")}});
  std::vector<std::vector<std::string>> rows;
  for (const auto& tr : t.value("transitions", json::array())) {
    rows.push_back(
        {field(tr, "at"), field(tr, "lastStatus"), field(tr, "healthStatus"), cell(tr, "reason")});
  }
  std::cout << '\n';
  print_table(std::cout, {"AT", "STATUS", "HEALTH", "REASON"}, rows);
}

struct TaskArgs {
  std::string cluster, id, taskdef, service, reason, strategy;
  std::uint64_t count = 1;
  std::vector<std::string> constraints;
};

}  // namespace

void add_cp_task_commands(CLI::App& cp, const GlobalOptions& g) {
  auto a = std::make_shared<TaskArgs>();
  auto* grp = cp.add_subcommand("task", "Standalone and service tasks: run, ls, inspect, stop");
  grp->require_subcommand(1);

  auto* c = grp->add_subcommand("run", "Place and start tasks of a task definition");
  add_cluster_option(c, a->cluster);
  c->add_option("taskdef", a->taskdef, "FAMILY[:REVISION] (latest ACTIVE without :R)")->required();
  c->add_option("--count", a->count, "How many tasks")->capture_default_str();
  add_placement_options(c, a->constraints, a->strategy);
  c->callback(cp_action(g, [&g, a](const CpClient& cl) {
    json body = {{"taskDefinition", a->taskdef}, {"count", a->count}, {"startedBy", "skiffctl"}};
    add_placement(body, a->constraints, a->strategy);
    json r = cl.call("POST", api_path("clusters", a->cluster, "/tasks"), body);
    const json tasks = r.value("tasks", json::array());
    const json failures = r.value("failures", json::array());
    if (g.json) {
      print_json(r);
    } else if (!tasks.empty()) {
      std::vector<std::vector<std::string>> rows;
      for (const auto& t : tasks) rows.push_back(task_row(t));
      print_table(std::cout, kTaskHeader, rows);
    }
    if (!failures.empty()) {
      std::string why;
      for (const auto& f : failures) {
        if (!why.empty()) why += "; ";
        why += field(f, "reason");
      }
      throw Error(fmt::format("placed {} of {} tasks: {}", tasks.size(), a->count, why));
    }
  }));

  c = grp->add_subcommand("ls", "List a cluster's tasks");
  add_cluster_option(c, a->cluster);
  c->add_option("--service", a->service, "Only this service's tasks");
  c->callback(cp_action(g, [&g, a](const CpClient& cl) {
    std::string target = api_path("clusters", a->cluster, "/tasks");
    if (!a->service.empty()) target += fmt::format("?service={}", url_segment(a->service));
    json r = cl.call("GET", target);
    if (g.json) return print_json(r);
    std::vector<std::vector<std::string>> rows;
    for (const auto& t : r.value("tasks", json::array())) rows.push_back(task_row(t));
    print_table(std::cout, kTaskHeader, rows);
  }));

  c = grp->add_subcommand("inspect", "Show a task and every transition with its time");
  c->add_option("id", a->id, "Task id")->required();
  c->callback(cp_action(g, [&g, a](const CpClient& cl) {
    json t = cl.call("GET", task_path(a->id));
    if (g.json) return print_json(t);
    print_task(t);
  }));

  c = grp->add_subcommand("stop", "Ask the task's agent to stop it");
  c->add_option("id", a->id, "Task id")->required();
  c->add_option("--reason", a->reason, "Recorded as the task's stoppedReason");
  c->callback(cp_action(g, [&g, a](const CpClient& cl) {
    json body = json::object();
    if (!a->reason.empty()) body["reason"] = a->reason;
    json t = cl.call("POST", task_path(a->id) + "/stop", body);
    if (g.json) return print_json(t);
    std::cout << field(t, "id") << ' ' << field(t, "lastStatus") << '\n';
  }));
}

namespace {

struct ServiceArgs {
  std::string cluster, name, taskdef, breaker, strategy, deployment;
  std::uint64_t count = 0, min_healthy = 0, max_percent = 0, dereg_delay = 0;
  double timeout = 600;
  std::vector<std::string> constraints;
  // Set when the option was given: only those reach the control plane, which keeps its
  // defaults (and, on update, the current values) for the rest.
  CLI::Option *count_opt = nullptr, *min_opt = nullptr, *max_opt = nullptr, *dereg_opt = nullptr,
              *breaker_opt = nullptr;
};

bool given(const CLI::Option* o) {
  return o != nullptr && o->count() > 0;
}

void add_deployment_options(CLI::App* c, ServiceArgs& a) {
  a.min_opt = c->add_option("--min-healthy", a.min_healthy,
                            "minimumHealthyPercent: healthy tasks kept during a deployment "
                            "(default 100)");
  a.max_opt = c->add_option("--max-percent", a.max_percent,
                            "maximumPercent: tasks allowed during a deployment (default 200)");
  a.dereg_opt = c->add_option("--deregistration-delay", a.dereg_delay,
                              "Seconds a task stays DEACTIVATING before it is stopped "
                              "(default 30)");
  // --circuit-breaker enables it; --circuit-breaker=rollback also rolls back on failure.
  a.breaker_opt = c->add_flag("--circuit-breaker{enable}", a.breaker,
                              "Fail a deployment after repeated failed starts "
                              "(=rollback: then go back to the last completed one)");
  a.breaker_opt->check(CLI::IsMember({"enable", "rollback"}));
}

// The fields of a create/update body that come from the deployment options.
void put_deployment_fields(json& body, const ServiceArgs& a) {
  json dc = json::object();
  if (given(a.min_opt)) dc["minimumHealthyPercent"] = a.min_healthy;
  if (given(a.max_opt)) dc["maximumPercent"] = a.max_percent;
  if (given(a.breaker_opt)) {
    dc["deploymentCircuitBreaker"] = {{"enable", true}, {"rollback", a.breaker == "rollback"}};
  }
  if (!dc.empty()) body["deploymentConfiguration"] = dc;
  if (given(a.dereg_opt)) body["deregistrationDelaySeconds"] = a.dereg_delay;
}

const json* primary_of(const json& s) {
  auto it = s.find("deployments");
  if (it == s.end() || !it->is_array()) return nullptr;
  for (const auto& d : *it) {
    if (field(d, "status") == "PRIMARY") return &d;
  }
  return nullptr;
}

std::uint64_t sum_over_deployments(const json& s, const char* key) {
  std::uint64_t n = 0;
  for (const auto& d : s.value("deployments", json::array())) n += d.value(key, 0ULL);
  return n;
}

// "web  d-1a2b  web:2  IN_PROGRESS": what a create or update set going.
void print_service_line(const json& s) {
  const json* p = primary_of(s);
  std::cout << field(s, "name") << "  " << (p ? field(*p, "id") : "-") << "  "
            << field(s, "taskDefinition") << "  " << (p ? field(*p, "rolloutState") : "-") << '\n';
}

void print_service(const json& s) {
  std::string breaker = "off";
  if (s.value("circuitBreakerEnable", false)) {
    breaker = s.value("circuitBreakerRollback", false) ? "rollback" : "on";
    breaker += fmt::format(" (threshold {})", field(s, "circuitBreakerThresholdEffective"));
  }
  std::string endpoints;
  for (const auto& e : s.value("endpoints", json::array())) {
    if (!endpoints.empty()) endpoints += ", ";
    endpoints += e.get<std::string>();
  }
  print_fields(
      std::cout,
      {{"NAME", field(s, "name")},
       {"CLUSTER", field(s, "cluster")},
       {"STATUS", field(s, "status")},
       {"TASKDEF", field(s, "taskDefinition")},
       {"DESIRED", field(s, "desiredCount")},
       {"DEPLOYMENT", fmt::format("minimumHealthyPercent {}, maximumPercent {}, "
                                  "deregistration delay {} s, circuit breaker {}",
                                  field(s, "minimumHealthyPercent"), field(s, "maximumPercent"),
                                  field(s, "deregistrationDelaySeconds"), breaker)},
       {"ENDPOINTS", endpoints}});
  std::vector<std::vector<std::string>> rows;
  for (const auto& d : s.value("deployments", json::array())) {
    rows.push_back({field(d, "id"), field(d, "status"), field(d, "taskDefinition"),
                    field(d, "rolloutState"), field(d, "runningCount"), field(d, "healthyCount"),
                    field(d, "pendingCount"), field(d, "failedTasks"), field(d, "createdAt")});
  }
  std::cout << '\n';
  print_table(std::cout,
              {"DEPLOYMENT", "STATUS", "TASKDEF", "ROLLOUT", "RUNNING", "HEALTHY", "PENDING",
               "FAILED", "CREATED"},
              rows);
  const json events = s.value("events", json::array());
  constexpr std::size_t kLastEvents = 10;
  rows.clear();
  for (std::size_t i = events.size() > kLastEvents ? events.size() - kLastEvents : 0;
       i < events.size(); ++i) {
    rows.push_back({field(events[i], "at"), field(events[i], "message")});
  }
  std::cout << '\n';
  print_table(std::cout, {"EVENT AT", "MESSAGE"}, rows);
}

std::string service_path(const ServiceArgs& a) {
  return api_path("clusters", a.cluster, fmt::format("/services/{}", url_segment(a.name)));
}

}  // namespace

void add_cp_service_commands(CLI::App& cp, const GlobalOptions& g) {
  auto a = std::make_shared<ServiceArgs>();
  auto* grp = cp.add_subcommand("service", "Services: create, update, ls, inspect, rm, wait");
  grp->require_subcommand(1);

  // create and update each keep their own option pointers (see ServiceArgs).
  auto ca = std::make_shared<ServiceArgs>();
  auto* c = grp->add_subcommand("create", "Keep COUNT tasks of a task definition running");
  add_cluster_option(c, ca->cluster);
  c->add_option("name", ca->name, "Service name")->required();
  c->add_option("taskdef", ca->taskdef, "FAMILY[:REVISION]")->required();
  c->add_option("--count", ca->count, "desiredCount")->required();
  add_deployment_options(c, *ca);
  add_placement_options(c, ca->constraints, ca->strategy);
  c->callback(cp_action(g, [&g, ca](const CpClient& cl) {
    json body = {
        {"serviceName", ca->name}, {"taskDefinition", ca->taskdef}, {"desiredCount", ca->count}};
    put_deployment_fields(body, *ca);
    add_placement(body, ca->constraints, ca->strategy);
    json s = cl.call("POST", api_path("clusters", ca->cluster, "/services"), body);
    if (g.json) return print_json(s);
    print_service_line(s);
  }));

  auto ua = std::make_shared<ServiceArgs>();
  c = grp->add_subcommand("update", "Change the task definition (a rolling deployment) or count");
  add_cluster_option(c, ua->cluster);
  c->add_option("name", ua->name, "Service name")->required();
  c->add_option("--taskdef", ua->taskdef, "FAMILY[:REVISION]: starts a new deployment");
  ua->count_opt = c->add_option("--count", ua->count, "desiredCount");
  add_deployment_options(c, *ua);
  c->callback(cp_action(g, [&g, ua](const CpClient& cl) {
    json body = json::object();
    if (!ua->taskdef.empty()) body["taskDefinition"] = ua->taskdef;
    if (given(ua->count_opt)) body["desiredCount"] = ua->count;
    put_deployment_fields(body, *ua);
    if (body.empty()) throw Error("service update: nothing to change (--taskdef, --count, ...)");
    json s = cl.call("POST", service_path(*ua), body);
    if (g.json) return print_json(s);
    print_service_line(s);
  }));

  c = grp->add_subcommand("ls", "List a cluster's services");
  add_cluster_option(c, a->cluster);
  c->callback(cp_action(g, [&g, a](const CpClient& cl) {
    json r = cl.call("GET", api_path("clusters", a->cluster, "/services"));
    if (g.json) return print_json(r);
    std::vector<std::vector<std::string>> rows;
    for (const auto& s : r.value("services", json::array())) {
      const json* p = primary_of(s);
      rows.push_back({field(s, "name"), field(s, "status"), field(s, "taskDefinition"),
                      field(s, "desiredCount"),
                      std::to_string(sum_over_deployments(s, "runningCount")),
                      std::to_string(sum_over_deployments(s, "healthyCount")),
                      p ? field(*p, "rolloutState") : "-"});
    }
    print_table(std::cout,
                {"NAME", "STATUS", "TASKDEF", "DESIRED", "RUNNING", "HEALTHY", "ROLLOUT"}, rows);
  }));

  c = grp->add_subcommand("inspect", "Show a service: deployments, endpoints, recent events");
  add_cluster_option(c, a->cluster);
  c->add_option("name", a->name, "Service name")->required();
  c->callback(cp_action(g, [&g, a](const CpClient& cl) {
    json s = cl.call("GET", service_path(*a));
    if (g.json) return print_json(s);
    print_service(s);
  }));

  c = grp->add_subcommand("rm", "Delete a service (scales to 0, then it is removed)");
  add_cluster_option(c, a->cluster);
  c->add_option("name", a->name, "Service name")->required();
  c->callback(cp_action(g, [&g, a](const CpClient& cl) {
    json s = cl.call("DELETE", service_path(*a));
    if (g.json) return print_json(s);
    std::cout << field(s, "name") << ' ' << field(s, "status") << '\n';
  }));

  c = grp->add_subcommand("wait",
                          "Wait for the current deployment: exit 0 when COMPLETED, 1 when FAILED; "
                          "prints task transitions as they happen");
  add_cluster_option(c, a->cluster);
  c->add_option("name", a->name, "Service name")->required();
  c->add_option("--deployment", a->deployment,
                "Wait for this deployment (the id `service update` printed), not the current one");
  c->add_option("--timeout", a->timeout, "Seconds before giving up (exit 1)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  c->callback(cp_action(g, [&g, a](const CpClient& cl) {
    WaitArgs w;
    w.cluster = a->cluster;
    w.service = a->name;
    w.deployment = a->deployment;
    w.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(a->timeout * 1000));
    wait_for_service(cl, w, g.json);
  }));
}

}  // namespace skiff::ctl
