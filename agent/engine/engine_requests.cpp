// The engine's public side: new tasks, stop requests and read-only views. These run on the
// API's threads; they only touch state under the lock and wake the loop.
#include <spdlog/spdlog.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>

#include "agent/engine/engine.h"
#include "common/error.h"
#include "common/utf8.h"
#include "image/store/digest.h"

namespace skiff::agent {
namespace {

std::string random_id() {
  unsigned char bytes[16];
  if (::getentropy(bytes, sizeof bytes) != 0) throw_errno("getentropy", "");
  static const char* hex = "0123456789abcdef";
  std::string id;
  for (unsigned char b : bytes) {
    id.push_back(hex[b >> 4]);
    id.push_back(hex[b & 15]);
  }
  return id;
}

bool active(const TaskRecord& r) {
  return r.known != TaskStatus::Stopped;
}

std::string_view task_health(const TaskRecord& r, const TaskDefinition& def) {
  bool any_check = false;
  bool all_healthy = true;
  for (const auto& c : r.containers) {
    const auto* cd = def.find_container(c.name);
    // ECS: only essential containers decide the task's health.
    if (cd == nullptr || !cd->health_check || !c.essential) continue;
    any_check = true;
    if (c.health == Health::Unhealthy) return "UNHEALTHY";
    if (c.health != Health::Healthy) all_healthy = false;
  }
  return any_check && all_healthy ? "HEALTHY" : "UNKNOWN";
}

// runtimePlatform names the CPU the image needs: refused here, rather than failing later
// with an exec format error.
void check_platform(const TaskDefinition& def, const std::string& source) {
  const std::string_view want = oci_architecture(def.runtime_platform);
  if (want.empty()) return;
  utsname u{};
  ::uname(&u);
  const std::string_view machine = u.machine;
  const std::string_view have = machine == "x86_64"    ? "amd64"
                                : machine == "aarch64" ? "arm64"
                                                       : machine;
  if (want != have) {
    throw Error(source +
                ": runtimePlatform.cpuArchitecture: " + def.runtime_platform.cpu_architecture +
                " images cannot run on this " + std::string(machine) + " host");
  }
}

}  // namespace

std::string TaskEngine::submit(const std::string& definition_json, const std::string& source,
                               bool unique_source, const std::string& task_id) {
  ParseOptions options;
  options.default_stop_timeout = config_.default_stop_timeout;
  auto def = parse_task_definition(definition_json, source, options);
  check_platform(def, source);
  for (const auto& w : def.warnings) spdlog::warn("{}: {}", source, w);
  auto parsed = nlohmann::json::parse(definition_json);
  std::string hash = image::sha256_of(definition_json).str();

  std::lock_guard lock(mu_);
  if (!task_id.empty() && tasks_.count(task_id)) return task_id;
  if (unique_source) {
    for (auto& [id, t] : tasks_) {
      if (t->record.source == source && t->record.definition_hash == hash && active(t->record)) {
        return id;
      }
    }
  }
  auto task = std::make_unique<Task>();
  TaskRecord& r = task->record;
  r.id = task_id.empty() ? random_id() : task_id;
  r.family = def.family;
  r.source = source;
  r.definition_hash = hash;
  r.definition = std::move(parsed);
  r.created_at_ms = clock_.now_ms();
  for (const auto& cd : def.containers) {
    ContainerRecord c;
    c.name = cd.name;
    c.image = cd.image;
    c.essential = cd.essential;
    r.containers.push_back(std::move(c));
  }
  task->definition = std::move(def);
  // Refuse the task, rather than run what we could not find again after a restart.
  store_.save(r);
  std::string id = r.id;
  emit(*task, nullptr, "task", {{"source", source}});
  tasks_.emplace(id, std::move(task));
  wake();
  return id;
}

void TaskEngine::sync_sources(const std::string& prefix,
                              const std::map<std::string, std::string>& files) {
  std::vector<std::pair<std::string, std::string>> to_submit;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, t] : tasks_) {
      auto& r = t->record;
      if (!r.source.starts_with(prefix) || r.desired == TaskStatus::Stopped) continue;
      auto it = files.find(r.source);
      if (it == files.end()) {
        request_task_stop(*t, "task definition file removed: " + r.source);
      } else if (image::sha256_of(it->second).str() != r.definition_hash) {
        request_task_stop(*t, "task definition file changed: " + r.source);
      }
    }
    for (const auto& [source, text] : files) {
      std::string hash = image::sha256_of(text).str();
      bool known = std::any_of(tasks_.begin(), tasks_.end(), [&](const auto& entry) {
        const auto& r = entry.second->record;
        // A stopped task of the same file and content is not restarted: it ran and ended.
        return r.source == source && r.definition_hash == hash;
      });
      if (!known) to_submit.emplace_back(source, text);
    }
  }
  for (const auto& [source, text] : to_submit) {
    try {
      submit(text, source, true);
    } catch (const std::exception& e) {
      spdlog::error("{}", e.what());
      events_.publish({{"type", "error"}, {"source", source}, {"message", e.what()}});
    }
  }
  wake();
}

bool TaskEngine::has_task(const std::string& task_id) const {
  std::lock_guard lock(mu_);
  return tasks_.count(task_id) > 0;
}

void TaskEngine::set_metadata_extra(std::function<nlohmann::json()> extra) {
  std::lock_guard lock(mu_);
  metadata_extra_ = std::move(extra);
}

std::size_t TaskEngine::active_tasks() const {
  std::lock_guard lock(mu_);
  return static_cast<std::size_t>(std::count_if(
      tasks_.begin(), tasks_.end(), [](const auto& e) { return active(e.second->record); }));
}

TaskEngine::Task& TaskEngine::find(const std::string& id) {
  auto it = tasks_.find(id);
  if (it != tasks_.end()) return *it->second;
  // Accept a unique prefix, as docker and podman do for ids.
  Task* match = nullptr;
  if (id.size() >= 4) {
    for (auto& [key, t] : tasks_) {
      if (key.starts_with(id)) {
        if (match != nullptr) throw Error("task id prefix \"" + id + "\" is ambiguous");
        match = t.get();
      }
    }
  }
  if (match == nullptr) throw NotFound("task \"" + id + "\" not found");
  return *match;
}

nlohmann::json TaskEngine::view(const Task& t) const {
  const auto& r = t.record;
  nlohmann::json containers = nlohmann::json::array();
  for (const auto& c : r.containers) {
    containers.push_back({
        {"name", c.name},
        {"image", c.image},
        {"essential", c.essential},
        {"knownStatus", to_string(c.known)},
        {"desiredStatus", to_string(c.desired)},
        {"exitCode", c.exit_code ? nlohmann::json(*c.exit_code) : nlohmann::json()},
        {"reason", c.reason},
        {"health", to_string(c.health)},
        {"runtimeId", c.runtime_id},
        {"pid", c.pid},
        {"restartCount", c.restart_count},
        {"oomKilled", c.oom_killed},
        {"killNeeded", c.kill_needed},
        {"startedAt", format_time(c.started_at_ms)},
        {"finishedAt", format_time(c.finished_at_ms)},
    });
  }
  return {{"taskId", r.id},
          {"family", r.family},
          {"source", r.source},
          {"desiredStatus", to_string(r.desired)},
          {"knownStatus", to_string(r.known)},
          {"health", task_health(r, t.definition)},
          {"stoppedReason", r.stopped_reason},
          {"createdAt", format_time(r.created_at_ms)},
          {"startedAt", format_time(r.started_at_ms)},
          {"stoppedAt", format_time(r.stopped_at_ms)},
          {"containers", containers}};
}

nlohmann::json TaskEngine::metadata() {
  utsname u{};
  ::uname(&u);
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  std::unique_lock lock(mu_);
  std::size_t running = static_cast<std::size_t>(std::count_if(
      tasks_.begin(), tasks_.end(), [](const auto& e) { return active(e.second->record); }));
  nlohmann::json out = {{"agentVersion", "0.1.0"},
                        {"mode", config_.mode},
                        {"hostname", host},
                        {"arch", u.machine},
                        {"kernel", u.release},
                        {"stateDir", config_.runner.paths.state.string()},
                        {"runtime", config_.runner.runtime_binary.string()},
                        {"snapshotter", images_.snapshotter()},
                        {"tasks", tasks_.size()},
                        {"activeTasks", running},
                        // A client that means to follow /v1/events from "now" (skiffctl run --wait)
                        // asks for ?since= this, taken before its request, and so misses nothing.
                        {"lastEventSeq", events_.last_seq()}};
  auto extra = metadata_extra_;
  lock.unlock();  // the hook may take its own locks
  if (extra) out.update(extra());
  return out;
}

nlohmann::json TaskEngine::list_tasks() {
  std::lock_guard lock(mu_);
  std::vector<const Task*> order;
  for (const auto& [id, t] : tasks_) order.push_back(t.get());
  std::sort(order.begin(), order.end(), [](const Task* a, const Task* b) {
    return a->record.created_at_ms < b->record.created_at_ms;
  });
  nlohmann::json out = nlohmann::json::array();
  for (const Task* t : order) out.push_back(view(*t));
  return out;
}

nlohmann::json TaskEngine::describe_task(const std::string& task_id) {
  std::lock_guard lock(mu_);
  Task& t = find(task_id);
  auto v = view(t);
  v["definition"] = t.record.definition;
  if (!t.definition.warnings.empty()) v["warnings"] = t.definition.warnings;
  return v;
}

nlohmann::json TaskEngine::run_task(const std::string& definition_json, const std::string& source) {
  std::string id = submit(definition_json, source);
  return describe_task(id);
}

void TaskEngine::stop_task(const std::string& task_id, const std::string& reason) {
  std::lock_guard lock(mu_);
  Task& t = find(task_id);
  request_task_stop(t, reason.empty() ? "Task stopped by user" : valid_utf8(reason));
  // Saved before the caller answers: an acknowledged stop must survive a crash.
  if (t.dirty) save(t);
  wake();
  if (t.dirty) {
    throw Error("task " + task_id +
                ": the stop is under way but could not be saved (see the agent's log); it "
                "would not survive an agent restart");
  }
}

void TaskEngine::drain(const std::string& reason) {
  std::lock_guard lock(mu_);
  std::size_t unsaved = 0;
  for (auto& [id, t] : tasks_) {
    request_task_stop(*t, reason.empty() ? "Agent drained" : valid_utf8(reason));
    if (t->dirty) save(*t);
    if (t->dirty) ++unsaved;
  }
  wake();
  if (unsaved != 0) {
    throw Error("drain: the stops are under way but " + std::to_string(unsaved) +
                " could not be saved (see the agent's log)");
  }
}

nlohmann::json TaskEngine::task_stats(const std::string& task_id) {
  std::lock_guard lock(mu_);
  Task& t = find(task_id);
  nlohmann::json containers = nlohmann::json::object();
  for (const auto& c : t.record.containers) {
    if (c.known != ContainerStatus::Running) continue;
    auto s = containers_.stats(t.record, c);
    if (!s) continue;
    containers[c.name] = {
        {"cpu",
         {{"usageUsec", s->cpu_usage_usec},
          {"userUsec", s->cpu_user_usec},
          {"systemUsec", s->cpu_system_usec},
          {"throttledUsec", s->cpu_throttled_usec},
          {"nrThrottled", s->cpu_nr_throttled}}},
        {"memory",
         {{"current", s->memory_current},
          {"limit", s->memory_limit == cgroups::kNoLimit ? nlohmann::json()
                                                         : nlohmann::json(s->memory_limit)},
          {"oomKills", s->oom_kill_events}}},
        {"pids", s->pids_current},
    };
  }
  return {
      {"taskId", t.record.id}, {"time", format_time(clock_.now_ms())}, {"containers", containers}};
}

LogSource TaskEngine::log_source(const std::string& task_id, const std::string& container) {
  std::lock_guard lock(mu_);
  Task& t = find(task_id);
  const auto* cd = t.definition.find_container(container);
  if (cd == nullptr)
    throw NotFound("task " + t.record.id + " has no container \"" + container + "\"");
  LogSource src;
  src.driver = cd->log_configuration.driver == LogDriver::Journald ? "journald" : "file";
  src.path = config_.runner.paths.log_file(t.record.id, container);
  if (const auto* c = t.record.container(container)) src.journald_container_id = c->runtime_id;
  return src;
}

ExecTarget TaskEngine::exec_target(const std::string& task_id, const std::string& container) {
  std::lock_guard lock(mu_);
  Task& t = find(task_id);
  const auto* c = t.record.container(container);
  if (c == nullptr)
    throw NotFound("task " + t.record.id + " has no container \"" + container + "\"");
  if (c->known != ContainerStatus::Running) {
    throw Error("container " + container + " of task " + t.record.id + " is not running (" +
                std::string(to_string(c->known)) + ")");
  }
  return ExecTarget{config_.runner.runtime_binary, config_.runner.paths.runtime_root(),
                    c->runtime_id};
}

std::vector<Event> TaskEngine::events_since(std::uint64_t after_seq,
                                            std::chrono::milliseconds wait) {
  return events_.since(after_seq, wait);
}

}  // namespace skiff::agent
