#include "agent/engine/task_record.h"

#include <array>
#include <chrono>
#include <ctime>
#include <utility>

#include "common/error.h"

namespace skiff::agent {
namespace {

constexpr std::array<std::pair<ContainerStatus, std::string_view>, 6> kContainerNames{{
    {ContainerStatus::None, "NONE"},
    {ContainerStatus::Pulled, "PULLED"},
    {ContainerStatus::Creating, "CREATING"},
    {ContainerStatus::Created, "CREATED"},
    {ContainerStatus::Running, "RUNNING"},
    {ContainerStatus::Stopped, "STOPPED"},
}};
constexpr std::array<std::pair<TaskStatus, std::string_view>, 3> kTaskNames{{
    {TaskStatus::Pending, "PENDING"},
    {TaskStatus::Running, "RUNNING"},
    {TaskStatus::Stopped, "STOPPED"},
}};
constexpr std::array<std::pair<Health, std::string_view>, 3> kHealthNames{{
    {Health::Unknown, "UNKNOWN"},
    {Health::Healthy, "HEALTHY"},
    {Health::Unhealthy, "UNHEALTHY"},
}};

template <typename E, std::size_t N>
std::string_view name_of(const std::array<std::pair<E, std::string_view>, N>& table, E v) {
  for (const auto& [e, n] : table) {
    if (e == v) return n;
  }
  return "?";
}

template <typename E, std::size_t N>
E value_of(const std::array<std::pair<E, std::string_view>, N>& table, std::string_view s,
           const char* what) {
  for (const auto& [e, n] : table) {
    if (n == s) return e;
  }
  throw Error(std::string(what) + ": unknown status \"" + std::string(s) + "\"");
}

template <typename T>
void get_if(const nlohmann::json& j, const char* key, T& out) {
  if (auto it = j.find(key); it != j.end() && !it->is_null()) out = it->get<T>();
}

}  // namespace

std::string_view to_string(ContainerStatus s) {
  return name_of(kContainerNames, s);
}
std::string_view to_string(TaskStatus s) {
  return name_of(kTaskNames, s);
}
std::string_view to_string(Health h) {
  return name_of(kHealthNames, h);
}
ContainerStatus container_status_from(std::string_view s) {
  return value_of(kContainerNames, s, "container status");
}
TaskStatus task_status_from(std::string_view s) {
  return value_of(kTaskNames, s, "task status");
}
Health health_from(std::string_view s) {
  return value_of(kHealthNames, s, "health");
}

nlohmann::json ContainerRecord::to_json() const {
  nlohmann::json j = {
      {"name", name},
      {"image", image},
      {"essential", essential},
      {"knownStatus", to_string(known)},
      {"desiredStatus", to_string(desired)},
      {"generation", generation},
      {"runtimeId", runtime_id},
      {"shimPid", shim_pid},
      {"pid", pid},
      {"exitSignal", exit_signal},
      {"oomKilled", oom_killed},
      {"killNeeded", kill_needed},
      {"reason", reason},
      {"health", to_string(health)},
      {"restartCount", restart_count},
      {"startedAtMs", started_at_ms},
      {"finishedAtMs", finished_at_ms},
      {"stopRequestedMs", stop_requested_ms},
      {"stopSignal", stop_signal},
      {"stopCause", stop_cause},
  };
  j["exitCode"] = exit_code ? nlohmann::json(*exit_code) : nlohmann::json(nullptr);
  return j;
}

ContainerRecord ContainerRecord::from_json(const nlohmann::json& j) {
  ContainerRecord c;
  get_if(j, "name", c.name);
  get_if(j, "image", c.image);
  get_if(j, "essential", c.essential);
  c.known = container_status_from(j.at("knownStatus").get<std::string>());
  c.desired = container_status_from(j.at("desiredStatus").get<std::string>());
  get_if(j, "generation", c.generation);
  get_if(j, "runtimeId", c.runtime_id);
  get_if(j, "shimPid", c.shim_pid);
  get_if(j, "pid", c.pid);
  if (auto it = j.find("exitCode"); it != j.end() && it->is_number_integer()) {
    c.exit_code = it->get<int>();
  }
  get_if(j, "exitSignal", c.exit_signal);
  get_if(j, "oomKilled", c.oom_killed);
  get_if(j, "killNeeded", c.kill_needed);
  get_if(j, "reason", c.reason);
  if (auto it = j.find("health"); it != j.end()) c.health = health_from(it->get<std::string>());
  get_if(j, "restartCount", c.restart_count);
  get_if(j, "startedAtMs", c.started_at_ms);
  get_if(j, "finishedAtMs", c.finished_at_ms);
  get_if(j, "stopRequestedMs", c.stop_requested_ms);
  get_if(j, "stopSignal", c.stop_signal);
  get_if(j, "stopCause", c.stop_cause);
  return c;
}

ContainerRecord* TaskRecord::container(std::string_view name) {
  for (auto& c : containers) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

const ContainerRecord* TaskRecord::container(std::string_view name) const {
  return const_cast<TaskRecord*>(this)->container(name);
}

nlohmann::json TaskRecord::to_json() const {
  nlohmann::json cs = nlohmann::json::array();
  for (const auto& c : containers) cs.push_back(c.to_json());
  return {
      {"version", 1},
      {"id", id},
      {"family", family},
      {"source", source},
      {"definitionHash", definition_hash},
      {"definition", definition},
      {"desiredStatus", to_string(desired)},
      {"knownStatus", to_string(known)},
      {"stoppedReason", stopped_reason},
      {"createdAtMs", created_at_ms},
      {"startedAtMs", started_at_ms},
      {"stoppedAtMs", stopped_at_ms},
      {"containers", cs},
  };
}

TaskRecord TaskRecord::from_json(const nlohmann::json& j) {
  TaskRecord t;
  t.id = j.at("id").get<std::string>();
  get_if(j, "family", t.family);
  get_if(j, "source", t.source);
  get_if(j, "definitionHash", t.definition_hash);
  t.definition = j.at("definition");
  t.desired = task_status_from(j.at("desiredStatus").get<std::string>());
  t.known = task_status_from(j.at("knownStatus").get<std::string>());
  get_if(j, "stoppedReason", t.stopped_reason);
  get_if(j, "createdAtMs", t.created_at_ms);
  get_if(j, "startedAtMs", t.started_at_ms);
  get_if(j, "stoppedAtMs", t.stopped_at_ms);
  for (const auto& c : j.at("containers")) t.containers.push_back(ContainerRecord::from_json(c));
  return t;
}

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string format_time(std::int64_t ms) {
  if (ms <= 0) return "";
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[64];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms % 1000));
  return buf;
}

bool has_leftovers(const ContainerRecord& c) {
  return (c.known == ContainerStatus::Stopped || c.known == ContainerStatus::Pulled) &&
         (c.shim_pid != 0 || c.pid != 0);
}

}  // namespace skiff::agent
