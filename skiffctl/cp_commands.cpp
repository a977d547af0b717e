// `skiffctl cp` and its cluster, activation, instance and taskdef commands: each is one
// admin API call plus its human output; --json prints the control plane's answer as it came.
// Tasks and services live in cp_workload_commands.cpp.
#include "skiffctl/cp_commands.h"

#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "common/file_io.h"
#include "common/json_parse.h"
#include "skiffctl/cp_common.h"
#include "skiffctl/output.h"

namespace skiff::ctl {

namespace {

using nlohmann::json;

struct ClusterArgs {
  std::string name;
};

void add_cluster_commands(CLI::App& cp, const GlobalOptions& g) {
  auto a = std::make_shared<ClusterArgs>();
  auto* grp = cp.add_subcommand("cluster", "Clusters: create, ls, rm");
  grp->require_subcommand(1);

  auto* c = grp->add_subcommand("create", "Create a cluster");
  c->add_option("name", a->name, "Cluster name (letters, digits, '-', '_')")->required();
  c->callback(cp_action(g, [&g, a](const CpClient& cl) {
    json r = cl.call("POST", "/v1/clusters", {{"name", a->name}});
    if (g.json) return print_json(r);
    std::cout << field(r, "name") << '\n';
  }));

  c = grp->add_subcommand("ls", "List clusters with their instance, task and service counts");
  c->callback(cp_action(g, [&g](const CpClient& cl) {
    json r = cl.call("GET", "/v1/clusters");
    if (g.json) return print_json(r);
    std::vector<std::vector<std::string>> rows;
    for (const auto& x : r.value("clusters", json::array())) {
      rows.push_back({field(x, "name"), field(x, "registeredInstances"),
                      field(x, "connectedInstances"), field(x, "activeTasks"), field(x, "services"),
                      field(x, "createdAt")});
    }
    print_table(std::cout, {"NAME", "INSTANCES", "CONNECTED", "TASKS", "SERVICES", "CREATED"},
                rows);
  }));

  c = grp->add_subcommand("rm", "Delete a cluster (refused while it has instances or tasks)");
  c->add_option("name", a->name, "Cluster name")->required();
  c->callback(cp_action(g, [&g, a](const CpClient& cl) {
    json r = cl.call("DELETE", api_path("clusters", a->name));
    if (g.json) return print_json(r);
    std::cout << a->name << '\n';
  }));
}

struct ActivationArgs {
  std::string cluster, description;
  std::uint64_t expires = 86400;
  std::uint64_t limit = 1;
};

void add_activation_commands(CLI::App& cp, const GlobalOptions& g) {
  auto a = std::make_shared<ActivationArgs>();
  auto* grp = cp.add_subcommand("activation", "Activations: codes that let agents register");
  grp->require_subcommand(1);

  auto* c = grp->add_subcommand("create", "Create an activation (the code is shown only once)");
  add_cluster_option(c, a->cluster);
  c->add_option("--expires", a->expires, "Seconds until the code expires")->capture_default_str();
  c->add_option("--limit", a->limit, "How many agents may register with it")->capture_default_str();
  c->add_option("--description", a->description, "Free text, shown by `activation ls`");
  c->callback(cp_action(g, [&g, a](const CpClient& cl) {
    json body = {{"expiresInSeconds", a->expires}, {"registrationLimit", a->limit}};
    if (!a->description.empty()) body["description"] = a->description;
    json r = cl.call("POST", api_path("clusters", a->cluster, "/activations"), body);
    if (g.json) return print_json(r);
    print_fields(std::cout, {{"activationId", field(r, "activationId")},
                             {"activationCode", field(r, "activationCode")},
                             {"expiresAt", field(r, "expiresAt")},
                             {"registrationLimit", field(r, "registrationLimit")}});
    std::cerr << "Keep the code now: the control plane stores only its hash.\n";
  }));

  c = grp->add_subcommand("ls", "List a cluster's activations (without codes)");
  add_cluster_option(c, a->cluster);
  c->callback(cp_action(g, [&g, a](const CpClient& cl) {
    json r = cl.call("GET", api_path("clusters", a->cluster, "/activations"));
    if (g.json) return print_json(r);
    std::vector<std::vector<std::string>> rows;
    for (const auto& x : r.value("activations", json::array())) {
      rows.push_back({field(x, "activationId"),
                      field(x, "registrationCount") + "/" + field(x, "registrationLimit"),
                      field(x, "expiresAt") + (x.value("expired", false) ? " (expired)" : ""),
                      cell(x, "description")});
    }
    print_table(std::cout, {"ID", "USED", "EXPIRES", "DESCRIPTION"}, rows);
  }));
}

struct InstanceArgs {
  std::string cluster, id;
};

std::string used_of(const json& inst, const char* used_key, const char* total_key) {
  const json used = inst.value("used", json::object());
  return field(used, used_key) + "/" + field(inst, total_key);
}

void add_instance_commands(CLI::App& cp, const GlobalOptions& g) {
  auto a = std::make_shared<InstanceArgs>();
  auto* grp = cp.add_subcommand("instance", "Registered agents: ls, inspect, drain, revoke");
  grp->require_subcommand(1);

  auto* c = grp->add_subcommand("ls", "List a cluster's instances");
  add_cluster_option(c, a->cluster);
  c->callback(cp_action(g, [&g, a](const CpClient& cl) {
    json r = cl.call("GET", api_path("clusters", a->cluster, "/instances"));
    if (g.json) return print_json(r);
    std::vector<std::vector<std::string>> rows;
    for (const auto& i : r.value("instances", json::array())) {
      rows.push_back({field(i, "id"), field(i, "hostname"), field(i, "arch"), field(i, "status"),
                      i.value("connected", false) ? "yes" : "no", used_of(i, "cpu", "cpu"),
                      used_of(i, "memoryMiB", "memoryMiB"),
                      field(i.value("used", json::object()), "tasks"), cell(i, "lastSeen")});
    }
    print_table(std::cout,
                {"ID", "HOSTNAME", "ARCH", "STATUS", "CONNECTED", "CPU", "MEMORY MiB", "TASKS",
                 "LAST SEEN"},
                rows);
  }));

  c = grp->add_subcommand("inspect", "Show an instance as JSON (facts, capacity, metrics)");
  c->add_option("id", a->id, "Instance id")->required();
  c->callback(cp_action(
      g, [a](const CpClient& cl) { print_json(cl.call("GET", api_path("instances", a->id))); }));

  // drain and revoke answer the instance; humans get "ID STATUS".
  for (const char* verb : {"drain", "revoke"}) {
    const std::string what = verb;
    c = grp->add_subcommand(
        verb, what == "drain"
                  ? "No new placements; its service tasks move elsewhere"
                  : "Close its connection and refuse its token from now on (cannot be undone)");
    c->add_option("id", a->id, "Instance id")->required();
    c->callback(cp_action(g, [&g, a, what](const CpClient& cl) {
      json r = cl.call("POST", api_path("instances", a->id, "/" + what));
      if (g.json) return print_json(r);
      std::cout << field(r, "id") << ' ' << field(r, "status") << '\n';
    }));
  }
}

struct TaskDefArgs {
  std::string file, ref;
};

// "web" -> /v1/taskdefs/web, "web:3" -> /v1/taskdefs/web/3.
std::string taskdef_path(const std::string& ref, bool need_revision) {
  const auto colon = ref.find(':');
  if (colon == std::string::npos) {
    if (need_revision) throw Error("task definition '" + ref + "': expected FAMILY:REVISION");
    return api_path("taskdefs", ref);
  }
  return api_path("taskdefs", ref.substr(0, colon), "/" + url_segment(ref.substr(colon + 1)));
}

json read_json_file(const std::string& file) {
  std::string text;
  try {
    text = read_file(file);
  } catch (const Error& e) {
    throw Error(fmt::format("cannot read the task definition: {}", e.what()));
  }
  // "<file>:<line>:<column>: malformed JSON: ..."
  return skiff::parse_json(text, file);
}

void add_taskdef_commands(CLI::App& cp, const GlobalOptions& g) {
  auto a = std::make_shared<TaskDefArgs>();
  auto* grp = cp.add_subcommand("taskdef", "Task definitions: register, ls, inspect, rm");
  grp->require_subcommand(1);

  auto* c = grp->add_subcommand("register", "Register an ECS task definition (a new revision)");
  c->add_option("file", a->file, "Task definition JSON file")->required();
  c->callback(cp_action(g, [&g, a](const CpClient& cl) {
    json r;
    try {
      r = cl.call("POST", "/v1/taskdefs", read_json_file(a->file));
    } catch (const CpApiError& e) {
      throw CpApiError(a->file, e.status(), e.body());  // the message names the field
    }
    for (const auto& w : r.value("warnings", json::array())) {
      if (w.is_string())
        std::cerr << "warning: " << a->file << ": " << w.get<std::string>() << '\n';
    }
    if (g.json) return print_json(r);
    std::cout << field(r, "taskDefinitionArn") << '\n';
  }));

  c = grp->add_subcommand("ls", "List task definition families and their revisions");
  c->callback(cp_action(g, [&g](const CpClient& cl) {
    json r = cl.call("GET", "/v1/taskdefs");
    if (g.json) return print_json(r);
    std::vector<std::vector<std::string>> rows;
    for (const auto& f : r.value("families", json::array())) {
      std::string active, inactive;
      for (const auto& rev : f.value("revisions", json::array())) {
        std::string& list = field(rev, "status") == "ACTIVE" ? active : inactive;
        if (!list.empty()) list += ',';
        list += field(rev, "revision");
      }
      rows.push_back({field(f, "family"), field(f, "latestRevision"), active.empty() ? "-" : active,
                      inactive.empty() ? "-" : inactive});
    }
    print_table(std::cout, {"FAMILY", "LATEST", "ACTIVE", "INACTIVE"}, rows);
  }));

  c = grp->add_subcommand("inspect", "Show a revision as JSON (the latest ACTIVE without :R)");
  c->add_option("taskdef", a->ref, "FAMILY[:REVISION]")->required();
  c->callback(cp_action(
      g, [a](const CpClient& cl) { print_json(cl.call("GET", taskdef_path(a->ref, false))); }));

  c = grp->add_subcommand("rm", "Deregister a revision (INACTIVE: no new tasks)");
  c->add_option("taskdef", a->ref, "FAMILY:REVISION")->required();
  c->callback(cp_action(g, [&g, a](const CpClient& cl) {
    json r = cl.call("DELETE", taskdef_path(a->ref, true));
    if (g.json) return print_json(r);
    std::cout << field(r, "family") << ':' << field(r, "revision") << ' ' << field(r, "status")
              << '\n';
  }));
}

}  // namespace

void add_cp_commands(CLI::App& app, GlobalOptions& g) {
  auto* cp = app.add_subcommand("cp", "Drive a control plane's admin API (--endpoint, --ca)");
  cp->require_subcommand(1);
  add_cluster_commands(*cp, g);
  add_activation_commands(*cp, g);
  add_instance_commands(*cp, g);
  add_taskdef_commands(*cp, g);
  add_cp_task_commands(*cp, g);
  add_cp_service_commands(*cp, g);
}

}  // namespace skiff::ctl
