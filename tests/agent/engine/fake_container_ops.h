// A recording fake of the engine's seams (container_ops.h, image_source.h, task_store.h,
// clock.h), for unit tests of the engine's state machine without root.
//
// Every call the engine makes is written to one CallLog as a readable line ("signal
// t1-app-1 SIGTERM", "save t1 app=STOPPED", "cleanup t1-app-1"), so a test asserts the
// order of actions, not only the end state. Tests make things happen with the fake's own
// methods: a container exits, a create fails with ENOSPC, a probe reports unhealthy, a shim
// vanishes, the disk fills up, time passes.
#pragma once

#include <cstdint>
#include <deque>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "agent/engine/clock.h"
#include "agent/engine/container_ops.h"
#include "agent/engine/image_source.h"
#include "agent/engine/state_store.h"
#include "agent/engine/task_store.h"

namespace skiff::agent::test {

// The calls, in order, one line each: "<verb> <subject> [details]".
class CallLog {
 public:
  void add(std::string line) { lines_.push_back(std::move(line)); }
  const std::vector<std::string>& all() const { return lines_; }
  // The lines whose verb (first word) is one of `verbs`.
  std::vector<std::string> only(std::initializer_list<std::string_view> verbs) const;
  // Where `line` first occurs (exactly), or -1.
  int index_of(std::string_view line) const;
  // Whether it occurs at all.
  bool has(std::string_view line) const { return index_of(line) >= 0; }
  std::size_t count(std::string_view line) const;
  void clear() { lines_.clear(); }
  // All lines, one per line, for failure messages.
  std::string dump() const;

 private:
  std::vector<std::string> lines_;
};

// "SIGTERM", "SIGKILL", or the number.
std::string signal_name(int sig);

class FakeClock final : public Clock {
 public:
  // A fixed, realistic start (2023-11-14), so times are never 0 ("unset" in records).
  static constexpr std::int64_t kStart = 1'700'000'000'000;
  std::int64_t now_ms() const override { return now_; }
  void advance(std::int64_t ms) { now_ += ms; }
  void set(std::int64_t ms) { now_ = ms; }

 private:
  std::int64_t now_ = kStart;
};

class FakeImages final : public ImageSource {
 public:
  explicit FakeImages(CallLog& log) : log_(log) {}
  // Images are Ready unless told otherwise.
  void set(const std::string& image, State state, std::string error = "");
  // A pending image becomes ready, and the engine is woken as a pull thread would.
  void finish(const std::string& image, State state, std::string error = "");

  Outcome request(const std::string& image) override;
  void retry(const std::string& image) override;
  void on_done(std::function<void()> callback) override { on_done_ = std::move(callback); }
  std::string snapshotter() const override { return "fake"; }

 private:
  CallLog& log_;
  std::map<std::string, Outcome> outcomes_;
  std::function<void()> on_done_;
};

// A real StateStore (task.json on disk, so recovery reads what was saved), which can be
// made to fail as a full disk does.
class FakeStore final : public TaskStore {
 public:
  FakeStore(CallLog& log, const Paths& paths) : log_(log), real_(paths), paths_(paths) {}
  // Saves fail with this errno (ENOSPC) until fail(0).
  void fail(int error) { error_ = error; }
  int saves() const { return saves_; }
  int failed_saves() const { return failed_saves_; }
  // What the disk holds for `task_id` now.
  TaskRecord on_disk(const std::string& task_id);
  // Writes a record as an earlier agent would have (recovery tests).
  void put(const TaskRecord& record) { real_.save(record); }

  void save(const TaskRecord& task) override;
  std::vector<TaskRecord> load_all(std::vector<std::string>& problems) override;
  void remove(const std::string& task_id) override;

 private:
  CallLog& log_;
  StateStore real_;
  Paths paths_;
  int error_ = 0;
  int saves_ = 0;
  int failed_saves_ = 0;
};

class FakeContainerOps final : public ContainerOps {
 public:
  // One container the runtime has (or had), by runtime id.
  struct Container {
    std::string task_id;
    std::string name;
    pid_t shim_pid = 0;
    pid_t pid = 0;
    bool shim_alive = true;
    std::string runtime_status = "running";  // "": the runtime has no such container
    std::optional<ExitStatus> exit;
    bool exit_unreadable = false;
    bool oom = false;
    std::set<int> ignored_signals;
  };

  explicit FakeContainerOps(CallLog& log) : log_(log) {}

  // --- what tests make happen (`name`: the latest container of that name) ---
  void exit(const std::string& name, int code);
  void kill_by(const std::string& name, int sig);  // exit code 128 + sig, like a shell
  // The shim is gone without an exit record.
  void vanish(const std::string& name);
  // The shim is gone, and its container still runs.
  void kill_shim(const std::string& name);
  // Its cgroup reports an OOM kill (then make it exit).
  void set_oom(const std::string& name) { latest(name).oom = true; }
  // The next `times` creates of `name` throw `error`.
  void fail_create(const std::string& name, std::string error, int times = 1);
  void fail_start(const std::string& name, std::string error);
  // Signals `sig` to containers named `name` (now and later ones) are ignored; SIGKILL
  // never is. By default a container exits at once on any signal.
  void ignore_signal(const std::string& name, int sig) { ignored_[name].insert(sig); }
  // Health probes of `name` answer in this order; the last answer repeats.
  void probe_results(const std::string& name, std::vector<bool> ok);
  // Probes of `name` never finish, so their timeout kills them.
  void hang_probes(const std::string& name) { hanging_.insert(name); }
  void set_stop_signal(const std::string& image, int sig) { stop_signals_[image] = sig; }
  // A container that exists before the engine looks (recovery tests).
  Container& add(const std::string& runtime_id, const std::string& task_id,
                 const std::string& name);

  // --- what is true now ---
  bool exists(const std::string& runtime_id) const { return containers_.count(runtime_id) > 0; }
  Container* find(const std::string& runtime_id);
  Container& latest(const std::string& name);
  // The runtime id of the latest container of `name`, "" if none was made.
  std::string latest_id(const std::string& name) const;
  int creates(const std::string& name) const;

  // --- ContainerOps ---
  void ensure_task_cgroup(const TaskRecord& task, const TaskDefinition& def) override;
  void remove_task_cgroup(const std::string& task_id) override;
  void ensure_task_dirs(const TaskRecord& task, const TaskDefinition& def) override;
  void write_metadata(const TaskRecord& task) override;
  void create_and_start(const TaskRecord& task, const TaskDefinition& def,
                        const ContainerDefinition& cd, ContainerRecord& c) override;
  void start(const ContainerRecord& c) override;
  void signal(const ContainerRecord& c, int sig, bool all) override;
  std::unique_ptr<Probe> exec_probe(const ContainerRecord& c,
                                    const std::vector<std::string>& command) override;
  void cleanup(const TaskRecord& task, const ContainerRecord& c) override;
  void kill_in_flight(const std::string& runtime_id) override;
  std::optional<ShimInfo> live_shim(const TaskRecord& task, const ContainerRecord& c) override;
  std::unique_ptr<ExitWatch> watch_exit(const TaskRecord& task, const ContainerRecord& c) override;
  std::optional<ExitStatus> exit_status(const TaskRecord& task, const ContainerRecord& c) override;
  std::optional<std::string> runtime_status(const ContainerRecord& c) override;
  bool oom_killed(const TaskRecord& task, const ContainerRecord& c) override;
  std::optional<cgroups::Stats> stats(const TaskRecord& task, const ContainerRecord& c) override;
  int stop_signal(const std::string& image) override;
  std::vector<std::string> runtime_containers() override;
  void remove_runtime_container(const std::string& runtime_id) override;

 private:
  void end(Container& c, int code, int sig);

  CallLog& log_;
  std::map<std::string, Container> containers_;  // by runtime id, until cleanup
  std::map<std::string, std::string> latest_;    // container name -> runtime id
  std::map<std::string, int> creates_;
  std::map<std::string, std::deque<std::string>> create_errors_;
  std::map<std::string, std::string> start_errors_;
  std::map<std::string, std::set<int>> ignored_;
  std::map<std::string, std::deque<bool>> probe_results_;
  std::set<std::string> hanging_;
  std::map<std::string, int> stop_signals_;
  pid_t next_pid_ = 1000;
};

}  // namespace skiff::agent::test
