// The task engine: keeps every task's containers in their desired state.
//
// One thread owns all state changes (the loop in engine.cpp). Requests from the local API
// or a control plane only change desired state under the lock and wake the loop. Every
// change is saved (task.json) before the action it announces, so recovery after a SIGKILL
// finds either the old state or an intent it can finish or undo (recovery.cpp).
//
// The engine acts through four seams (EngineParts): ContainerOps, ImageSource, TaskStore and
// Clock. The agent's constructor makes the real ones; tests pass fakes and single-step the
// loop with reconcile_once().
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "agent/api/agent_service.h"
#include "agent/engine/clock.h"
#include "agent/engine/container_ops.h"
#include "agent/engine/container_runner.h"
#include "agent/engine/event_log.h"
#include "agent/engine/health_tracker.h"
#include "agent/engine/image_helper.h"
#include "agent/engine/image_source.h"
#include "agent/engine/task_model.h"
#include "agent/engine/task_record.h"
#include "agent/engine/task_store.h"
#include "common/unique_fd.h"

namespace skiff::agent {

struct EngineConfig {
  RunnerConfig runner;
  ImageHelperConfig image_helper;  // pulls and unpacks run in this helper
  int default_stop_timeout = 30;   // ECS_CONTAINER_STOP_TIMEOUT
  // ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION: how long a STOPPED task is kept (3 h).
  int task_cleanup_wait_seconds = 3 * 3600;
  std::string mode = "standalone";
};

// What an engine acts through, each borrowed: they must outlive it.
struct EngineParts {
  ContainerOps& containers;
  ImageSource& images;
  TaskStore& store;
  const Clock& clock;
};

class TaskEngine : public AgentService {
 public:
  // The agent's engine: the real parts (ContainerRunner, ImagePuller, StateStore on
  // config.runner.paths, the system clock), owned by the engine.
  TaskEngine(EngineConfig config, image::Images& images);
  // An engine over the given parts (tests). config.runner.paths still names the logs and
  // the runtime root that log_source() and exec_target() report.
  TaskEngine(EngineConfig config, EngineParts parts);
  ~TaskEngine() override;
  TaskEngine(const TaskEngine&) = delete;
  TaskEngine& operator=(const TaskEngine&) = delete;

  // Loads task.json files and reconciles them with what is really running: adopts live
  // shims, records containers that exited or vanished, removes half-created ones. Call once,
  // before start(). Returns problems found (unreadable files, failed cleanups).
  std::vector<std::string> recover();
  void start();
  // Stops the loop; containers keep running (an agent restart must not touch them).
  void stop();
  // One pass of the loop on the caller's thread, for tests and single-stepping: never
  // while start()ed. Returns when the engine wants to look again (clock ms; 0: only when
  // something changes).
  std::int64_t reconcile_once();

  // Adds a task with desired status RUNNING; returns its id. `source` names where the
  // definition came from; with `unique_source`, an active task of the same source and
  // definition is returned instead of a new one (standalone tasks dir, restarts).
  // A non-empty `task_id` (a control plane's) names the task; submitting it again returns it.
  std::string submit(const std::string& definition_json, const std::string& source,
                     bool unique_source = false, const std::string& task_id = "");
  // Whether a task with exactly this id exists (no prefix matching).
  bool has_task(const std::string& task_id) const;
  // Merged into metadata(): the control plane connection adds its state.
  void set_metadata_extra(std::function<nlohmann::json()> extra);
  // Makes the set of tasks whose source starts with `prefix` match `files` (source -> JSON):
  // new ones start, changed ones are replaced, vanished ones stop.
  void sync_sources(const std::string& prefix, const std::map<std::string, std::string>& files);
  std::size_t active_tasks() const;

  // AgentService
  nlohmann::json metadata() override;
  nlohmann::json list_tasks() override;
  nlohmann::json describe_task(const std::string& task_id) override;
  nlohmann::json run_task(const std::string& definition_json, const std::string& source) override;
  void stop_task(const std::string& task_id, const std::string& reason) override;
  nlohmann::json task_stats(const std::string& task_id) override;
  LogSource log_source(const std::string& task_id, const std::string& container) override;
  ExecTarget exec_target(const std::string& task_id, const std::string& container) override;
  std::vector<Event> events_since(std::uint64_t after_seq, std::chrono::milliseconds wait) override;
  void drain(const std::string& reason) override;

  EventLog& events() { return events_; }
  // When the loop last went round (ms since the epoch): the watchdog checks it is alive.
  std::int64_t last_loop_ms() const { return last_loop_ms_.load(); }

 private:
  // What the loop keeps per container and never saves: it is rebuilt after a restart.
  struct Live {
    std::unique_ptr<ExitWatch> exit_watch;  // null: not watched yet (or no longer)
    std::optional<HealthTracker> health;
    std::unique_ptr<Probe> probe;  // null: none running
    std::int64_t probe_deadline_ms = 0;
    // When this process sent the stop signal (0: not yet, e.g. after a restart).
    std::int64_t stop_signal_sent_ms = 0;
    // Creating failed for a reason that may pass (the intent could not be saved, a
    // restart could not be created: a full disk): not before this time again.
    std::int64_t next_attempt_ms = 0;
    int failed_attempts = 0;
    bool replacing = false;  // unhealthy: stop, then start again
  };
  struct Task {
    TaskRecord record;
    TaskDefinition definition;
    std::map<std::string, Live> live;  // by container name
    bool dirty = false;
  };

  void loop();
  void wake();
  std::int64_t reconcile_all();
  void forget_old_tasks();
  // Returns the earliest time (ms) this task wants to be looked at again, or 0.
  std::int64_t reconcile(Task& t);
  std::int64_t step(Task& t, ContainerRecord& c, const ContainerDefinition& cd);
  void create_and_start(Task& t, ContainerRecord& c, const ContainerDefinition& cd);
  // `skiff-runtime start`, then RUNNING; a failure stops the container (and an essential
  // one's task). Returns whether it runs.
  bool start_created(Task& t, ContainerRecord& c, const ContainerDefinition& cd);
  void mark_running(Task& t, ContainerRecord& c, const ContainerDefinition& cd);
  void adopt_running(Task& t, ContainerRecord& c, const ContainerDefinition& cd);
  bool check_exit(Task& t, ContainerRecord& c, const ContainerDefinition& cd);
  void on_exit(Task& t, ContainerRecord& c, const ContainerDefinition& cd,
               const std::optional<ExitStatus>& status, const std::string& vanished);
  void save_then_cleanup(Task& t, ContainerRecord& c);
  // Removes what containers saved as ended left behind, once the disk knows they ended.
  void cleanup_leftovers(Task& t);
  void cleanup_container(Task& t, ContainerRecord& c);
  std::int64_t progress_stop(Task& t, ContainerRecord& c, const ContainerDefinition& cd);
  std::int64_t run_health(Task& t, ContainerRecord& c, const ContainerDefinition& cd);
  void mark_stopped(Task& t, ContainerRecord& c, const std::string& reason);
  void request_task_stop(Task& t, const std::string& reason);
  void update_task_status(Task& t);
  void finish_task(Task& t);
  void recover_container(Task& t, ContainerRecord& c, std::vector<std::string>& problems);

  void save(Task& t);
  static std::int64_t retry_delay_ms(int failed_attempts);
  void emit(const Task& t, const ContainerRecord* c, const std::string& type,
            nlohmann::json extra = {});
  nlohmann::json view(const Task& t) const;
  Task& find(const std::string& id);
  bool stopping(const Task& t, const ContainerRecord& c) const;

  struct Owned;  // the real parts, when the agent's constructor made them (engine.cpp)
  TaskEngine(EngineConfig config, std::unique_ptr<Owned> owned);

  EngineConfig config_;
  EventLog events_;
  UniqueFd wake_fd_;
  // After wake_fd_: destroyed first, as the puller's threads may still wake() until then.
  std::unique_ptr<Owned> owned_;
  ContainerOps& containers_;
  ImageSource& images_;
  TaskStore& store_;
  const Clock& clock_;

  mutable std::mutex mu_;
  // save()'s error log, at most once per interval (under mu_).
  static constexpr std::int64_t kSaveErrorLogIntervalMs = 10'000;
  std::int64_t save_error_logged_ms_ = 0;
  std::uint64_t save_errors_unlogged_ = 0;
  std::map<std::string, std::unique_ptr<Task>> tasks_;
  std::function<nlohmann::json()> metadata_extra_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::int64_t> last_loop_ms_{0};
  std::thread thread_;
};

}  // namespace skiff::agent
