// Controller: loading, persistence, lookups; clusters, activations, instances, task
// definitions.
#include <fmt/format.h>

#include "controlplane/server/controller.h"
#include "controlplane/server/secrets.h"
#include "controlplane/server/taskdef.h"

namespace skiff::cp {
namespace {

using nlohmann::json;

bool valid_name(const std::string& n) {
  if (n.empty() || n.size() > 255) return false;
  for (char c : n) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) return false;
  }
  return true;
}

std::uint64_t body_u64(const json& body, const char* key, std::uint64_t fallback) {
  if (!body.contains(key) || body[key].is_null()) return fallback;
  const auto& v = body[key];
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer() && v.get<std::int64_t>() >= 0) {
    return static_cast<std::uint64_t>(v.get<std::int64_t>());
  }
  throw ApiError(400, "bad_request", fmt::format("{}: expected a non-negative integer", key));
}

}  // namespace

Controller::Controller(Store& store, ControllerOptions options)
    : store_(store), options_(options) {}

void Controller::load() {
  desiredSeq_ = store_.counter("desiredSeq");
  for (auto& j : store_.load("clusters")) {
    auto c = j.get<Cluster>();
    clusters_[c.name] = c;
  }
  for (auto& j : store_.load("activations")) {
    auto a = j.get<Activation>();
    activations_[a.id] = a;
  }
  const auto now = now_ms();
  for (auto& j : store_.load("instances")) {
    auto i = j.get<Instance>();
    // Nobody is connected to a process that just started; the disconnect timeout counts
    // from now, so a restart never triggers replacements by itself.
    i.connected = false;
    i.disconnectedSinceMs = now;
    instances_[i.id] = i;
  }
  for (auto& j : store_.load("taskdefs")) {
    auto t = j.get<TaskDef>();
    auto& latest = latestRevision_[t.family];
    latest = std::max(latest, t.revision);
    taskdefs_[t.key()] = t;
  }
  for (auto& j : store_.load("tasks")) {
    auto t = j.get<Task>();
    if (!t.instanceId.empty()) tasksByInstance_[t.instanceId].insert(t.id);
    tasks_[t.id] = t;
  }
  for (auto& j : store_.load("services")) {
    auto s = j.get<Service>();
    services_[s.key()] = s;
  }
}

void Controller::save(const Cluster& c) {
  store_.put("clusters", c.name, c.name, c);
}
void Controller::save(const Activation& a) {
  store_.put("activations", a.id, a.cluster, a);
}
void Controller::save(const Instance& i) {
  store_.put("instances", i.id, i.cluster, i);
}
void Controller::save(const TaskDef& t) {
  store_.put("taskdefs", t.key(), "", t);
}
void Controller::save(const Task& t) {
  store_.put("tasks", t.id, t.cluster, t);
}
void Controller::save(const Service& s) {
  store_.put("services", s.key(), s.cluster, s);
}

std::uint64_t Controller::next_desired_seq() {
  store_.set_counter("desiredSeq", ++desiredSeq_);
  return desiredSeq_;
}

std::string Controller::new_id(const char* prefix) {
  return prefix + random_hex(8);
}

Cluster& Controller::cluster(const std::string& name) {
  auto it = clusters_.find(name);
  if (it == clusters_.end()) throw ApiError(404, "not_found", "cluster '" + name + "' not found");
  return it->second;
}
const Cluster& Controller::cluster(const std::string& name) const {
  return const_cast<Controller*>(this)->cluster(name);
}
Instance& Controller::instance(const std::string& id) {
  auto it = instances_.find(id);
  if (it == instances_.end()) throw ApiError(404, "not_found", "instance '" + id + "' not found");
  return it->second;
}
const Instance& Controller::instance(const std::string& id) const {
  return const_cast<Controller*>(this)->instance(id);
}
Task& Controller::task(const std::string& id) {
  auto it = tasks_.find(id);
  if (it == tasks_.end()) throw ApiError(404, "not_found", "task '" + id + "' not found");
  return it->second;
}

const TaskDef& Controller::taskdef(const std::string& ref) const {
  const auto colon = ref.find(':');
  const auto family = ref.substr(0, colon);
  std::string key;
  if (colon == std::string::npos) {
    auto it = latestRevision_.find(family);
    if (it == latestRevision_.end()) {
      throw ApiError(404, "not_found", "task definition family '" + family + "' not found");
    }
    // Latest ACTIVE revision.
    for (auto rev = it->second; rev > 0; --rev) {
      auto td = taskdefs_.find(family + ":" + std::to_string(rev));
      if (td != taskdefs_.end() && td->second.status == "ACTIVE") return td->second;
    }
    throw ApiError(404, "not_found",
                   "task definition family '" + family + "' has no ACTIVE revision");
  }
  auto it = taskdefs_.find(ref);
  if (it == taskdefs_.end())
    throw ApiError(404, "not_found", "task definition '" + ref + "' not found");
  return it->second;
}

Service& Controller::service(const std::string& cl, const std::string& name) {
  auto it = services_.find(cl + "/" + name);
  if (it == services_.end()) {
    throw ApiError(404, "not_found",
                   fmt::format("service '{}' not found in cluster '{}'", name, cl));
  }
  return it->second;
}
const Service& Controller::service(const std::string& cl, const std::string& name) const {
  return const_cast<Controller*>(this)->service(cl, name);
}

// --- clusters

json Controller::create_cluster(const json& body) {
  if (!body.contains("name") || !body["name"].is_string()) {
    throw ApiError(400, "bad_request", "name: missing");
  }
  const auto name = body["name"].get<std::string>();
  if (!valid_name(name)) {
    throw ApiError(400, "bad_request",
                   "name: '" + name + "' must be 1-255 letters, digits, '-' or '_'");
  }
  if (clusters_.count(name)) throw ApiError(409, "conflict", "cluster '" + name + "' exists");
  Cluster c{name, iso_time(now_ms())};
  save(c);
  clusters_[name] = c;
  return c;
}

json Controller::list_clusters() const {
  json out = json::array();
  for (const auto& [name, c] : clusters_) out.push_back(describe_cluster(name));
  return {{"clusters", out}};
}

json Controller::describe_cluster(const std::string& name) const {
  json j = cluster(name);
  std::size_t instances = 0, connected = 0, running = 0, services = 0;
  for (const auto& [id, i] : instances_) {
    if (i.cluster != name) continue;
    ++instances;
    connected += i.connected ? 1 : 0;
  }
  for (const auto& [id, t] : tasks_) running += (t.cluster == name && !t.stopped()) ? 1 : 0;
  for (const auto& [k, s] : services_) services += s.cluster == name ? 1 : 0;
  j["registeredInstances"] = instances;
  j["connectedInstances"] = connected;
  j["activeTasks"] = running;
  j["services"] = services;
  return j;
}

void Controller::delete_cluster(const std::string& name) {
  cluster(name);
  for (const auto& [id, i] : instances_) {
    if (i.cluster == name && i.status != "REVOKED") {
      throw ApiError(409, "conflict", "cluster '" + name + "' still has instance " + id);
    }
  }
  for (const auto& [id, t] : tasks_) {
    if (t.cluster == name && !t.stopped()) {
      throw ApiError(409, "conflict", "cluster '" + name + "' still has task " + id);
    }
  }
  store_.erase("clusters", name);
  clusters_.erase(name);
}

// --- activations

json Controller::create_activation(const std::string& cl, const json& body) {
  cluster(cl);
  if (!body.is_object()) throw ApiError(400, "bad_request", "body: expected an object");
  Activation a;
  a.id = new_id("a-");
  a.cluster = cl;
  a.description = body.value("description", "");
  const auto expires = body_u64(body, "expiresInSeconds", 86400);
  a.registrationLimit = body_u64(body, "registrationLimit", 1);
  if (a.registrationLimit == 0)
    throw ApiError(400, "bad_request", "registrationLimit: must be at least 1");
  const auto now = now_ms();
  a.expiresAtMs = now + static_cast<std::int64_t>(expires) * 1000;
  a.createdAt = iso_time(now);
  const auto code = random_hex(32);
  a.salt = random_hex(16);
  a.codeHash = salted_hash(a.salt, code);
  save(a);
  activations_[a.id] = a;
  return {{"activationId", a.id},
          {"activationCode", code},
          {"cluster", cl},
          {"expiresAt", iso_time(a.expiresAtMs)},
          {"registrationLimit", a.registrationLimit}};
}

json Controller::list_activations(const std::string& cl) const {
  cluster(cl);
  json out = json::array();
  for (const auto& [id, a] : activations_) {
    if (a.cluster != cl) continue;
    out.push_back({{"activationId", a.id},
                   {"description", a.description},
                   {"expiresAt", iso_time(a.expiresAtMs)},
                   {"expired", now_ms() >= a.expiresAtMs},
                   {"registrationLimit", a.registrationLimit},
                   {"registrationCount", a.used},
                   {"createdAt", a.createdAt}});
  }
  return {{"activations", out}};
}

// --- instances

json Controller::instance_json(const Instance& i) const {
  json j = i;
  j.erase("salt");
  j.erase("tokenHash");
  j.erase("disconnectedSinceMs");
  j.erase("lastSeenMs");
  j["lastSeen"] = i.lastSeenMs ? iso_time(i.lastSeenMs) : "";
  std::uint64_t cpu = 0, mem = 0, running = 0;
  if (auto it = tasksByInstance_.find(i.id); it != tasksByInstance_.end()) {
    for (const auto& tid : it->second) {
      const auto& t = tasks_.at(tid);
      if (t.stopped() || t.lost) continue;
      cpu += t.cpu;
      mem += t.memoryMiB;
      ++running;
    }
  }
  j["used"] = {{"cpu", cpu}, {"memoryMiB", mem}, {"tasks", running}};
  return j;
}

json Controller::list_instances(const std::string& cl) const {
  cluster(cl);
  json out = json::array();
  for (const auto& [id, i] : instances_) {
    if (i.cluster == cl) out.push_back(instance_json(i));
  }
  return {{"instances", out}};
}

json Controller::describe_instance(const std::string& id) const {
  return instance_json(instance(id));
}

json Controller::drain_instance(const std::string& id) {
  auto& i = instance(id);
  if (i.status == "REVOKED") throw ApiError(409, "conflict", "instance " + id + " is revoked");
  i.status = "DRAINING";
  save(i);
  return instance_json(i);
}

json Controller::revoke_instance(const std::string& id) {
  auto& i = instance(id);
  i.status = "REVOKED";
  save(i);
  if (auto it = links_.find(id); it != links_.end())
    it->second.link->close(1008, "instance revoked");
  return instance_json(i);
}

// --- task definitions

json Controller::register_taskdef(std::string_view body) {
  TaskDef td;
  try {
    td = parse_task_definition(body, "taskDefinition");
    parse_constraints(td.placementConstraints);  // the scheduler's syntax, checked now
  } catch (const skiff::Error& e) {
    throw ApiError(400, "bad_request", e.what());
  }
  td.revision = ++latestRevision_[td.family];
  td.registeredAt = iso_time(now_ms());
  save(td);
  taskdefs_[td.key()] = td;
  return {{"family", td.family},
          {"revision", td.revision},
          {"taskDefinitionArn", td.key()},
          {"warnings", td.warnings}};
}

json Controller::list_taskdefs() const {
  std::map<std::string, json> fams;
  for (const auto& [key, td] : taskdefs_) {
    auto& f = fams[td.family];
    if (f.is_null()) f = {{"family", td.family}, {"revisions", json::array()}};
    f["revisions"].push_back({{"revision", td.revision}, {"status", td.status}});
    f["latestRevision"] = latestRevision_.at(td.family);
  }
  json out = json::array();
  for (auto& [name, f] : fams) out.push_back(f);
  return {{"families", out}};
}

json Controller::describe_taskdef(const std::string& family, const std::string& revision) const {
  json j = taskdef(revision.empty() ? family : family + ":" + revision);
  j["taskDefinitionArn"] =
      j["family"].get<std::string>() + ":" + std::to_string(j["revision"].get<std::uint64_t>());
  return j;
}

json Controller::deregister_taskdef(const std::string& family, const std::string& revision) {
  auto it = taskdefs_.find(family + ":" + revision);
  if (it == taskdefs_.end()) {
    throw ApiError(404, "not_found", "task definition '" + family + ":" + revision + "' not found");
  }
  it->second.status = "INACTIVE";
  save(it->second);
  return it->second;
}

}  // namespace skiff::cp
