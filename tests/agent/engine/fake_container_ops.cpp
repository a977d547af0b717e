#include "tests/agent/engine/fake_container_ops.h"

#include <signal.h>
#include <string.h>

#include <algorithm>

#include "common/error.h"

namespace skiff::agent::test {
namespace {

std::string summary(const TaskRecord& t) {
  std::string out = t.id;
  for (const auto& c : t.containers) out += " " + c.name + "=" + std::string(to_string(c.known));
  return out;
}

std::string verb_of(std::string_view line) {
  return std::string(line.substr(0, line.find(' ')));
}

class FakeExitWatch final : public ExitWatch {
 public:
  FakeExitWatch(FakeContainerOps& ops, std::string id) : ops_(ops), id_(std::move(id)) {}
  bool exited() override {
    const auto* c = ops_.find(id_);
    return c == nullptr || !c->shim_alive;
  }

 private:
  FakeContainerOps& ops_;
  std::string id_;
};

// Answers at its first poll, or never (a hanging probe, ended by kill()).
class FakeProbe final : public Probe {
 public:
  explicit FakeProbe(std::optional<bool> ok) : ok_(ok) {}
  std::optional<CommandResult> poll() override {
    if (!ok_) return std::nullopt;
    CommandResult r;
    r.wait_status = *ok_ ? 0 : (1 << 8);  // exit 0 or exit 1, as waitpid reports them
    r.output = *ok_ ? "probe ok" : "probe failed";
    return r;
  }
  CommandResult kill() override {
    CommandResult r;
    r.wait_status = SIGKILL;
    r.timed_out = true;
    return r;
  }

 private:
  std::optional<bool> ok_;
};

}  // namespace

std::string signal_name(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  return abbrev != nullptr ? std::string("SIG") + abbrev : std::to_string(sig);
}

// --- CallLog ---

std::vector<std::string> CallLog::only(std::initializer_list<std::string_view> verbs) const {
  std::vector<std::string> out;
  for (const auto& line : lines_) {
    const std::string verb = verb_of(line);
    if (std::find(verbs.begin(), verbs.end(), verb) != verbs.end()) out.push_back(line);
  }
  return out;
}

int CallLog::index_of(std::string_view line) const {
  for (std::size_t i = 0; i < lines_.size(); ++i) {
    if (lines_[i] == line) return static_cast<int>(i);
  }
  return -1;
}

std::size_t CallLog::count(std::string_view line) const {
  return static_cast<std::size_t>(std::count(lines_.begin(), lines_.end(), line));
}

std::string CallLog::dump() const {
  std::string out;
  for (const auto& line : lines_) out += "  " + line + "\n";
  return out;
}

// --- FakeImages ---

void FakeImages::set(const std::string& image, State state, std::string error) {
  outcomes_[image] = Outcome{state, std::move(error)};
}

void FakeImages::finish(const std::string& image, State state, std::string error) {
  set(image, state, std::move(error));
  if (on_done_) on_done_();
}

ImageSource::Outcome FakeImages::request(const std::string& image) {
  log_.add("request " + image);
  auto it = outcomes_.find(image);
  return it == outcomes_.end() ? Outcome{State::Ready, ""} : it->second;
}

void FakeImages::retry(const std::string& image) {
  log_.add("retry " + image);
}

// --- FakeStore ---

void FakeStore::save(const TaskRecord& task) {
  ++saves_;
  if (error_ != 0) {
    ++failed_saves_;
    log_.add("save-failed " + summary(task));
    throw SysError("rename", paths_.task_file(task.id).string(), error_);
  }
  real_.save(task);
  log_.add("save " + summary(task));
}

std::vector<TaskRecord> FakeStore::load_all(std::vector<std::string>& problems) {
  log_.add("load_all");
  return real_.load_all(problems);
}

void FakeStore::remove(const std::string& task_id) {
  log_.add("remove " + task_id);
  real_.remove(task_id);
}

TaskRecord FakeStore::on_disk(const std::string& task_id) {
  std::vector<std::string> problems;
  for (auto& r : real_.load_all(problems)) {
    if (r.id == task_id) return r;
  }
  throw Error("no task.json for " + task_id);
}

// --- FakeContainerOps: what tests make happen ---

void FakeContainerOps::end(Container& c, int code, int sig) {
  c.shim_alive = false;
  c.runtime_status = "stopped";
  c.exit = ExitStatus{code, sig, "2023-11-14T22:13:20.000000000Z", c.pid};
}

void FakeContainerOps::exit(const std::string& name, int code) {
  end(latest(name), code, 0);
}

void FakeContainerOps::kill_by(const std::string& name, int sig) {
  end(latest(name), 128 + sig, sig);
}

void FakeContainerOps::vanish(const std::string& name) {
  Container& c = latest(name);
  c.shim_alive = false;
  c.runtime_status = "";
  c.exit.reset();
}

void FakeContainerOps::kill_shim(const std::string& name) {
  Container& c = latest(name);
  c.shim_alive = false;
  c.exit.reset();
}

void FakeContainerOps::fail_create(const std::string& name, std::string error, int times) {
  for (int i = 0; i < times; ++i) create_errors_[name].push_back(error);
}

void FakeContainerOps::fail_start(const std::string& name, std::string error) {
  start_errors_[name] = std::move(error);
}

void FakeContainerOps::probe_results(const std::string& name, std::vector<bool> ok) {
  probe_results_[name].assign(ok.begin(), ok.end());
}

FakeContainerOps::Container& FakeContainerOps::add(const std::string& runtime_id,
                                                   const std::string& task_id,
                                                   const std::string& name) {
  Container& c = containers_[runtime_id];
  c.task_id = task_id;
  c.name = name;
  c.shim_pid = next_pid_++;
  c.pid = next_pid_++;
  latest_[name] = runtime_id;
  return c;
}

FakeContainerOps::Container* FakeContainerOps::find(const std::string& runtime_id) {
  auto it = containers_.find(runtime_id);
  return it == containers_.end() ? nullptr : &it->second;
}

FakeContainerOps::Container& FakeContainerOps::latest(const std::string& name) {
  Container* c = find(latest_id(name));
  if (c == nullptr) throw Error("fake: no container named " + name + " exists");
  return *c;
}

std::string FakeContainerOps::latest_id(const std::string& name) const {
  auto it = latest_.find(name);
  return it == latest_.end() ? "" : it->second;
}

int FakeContainerOps::creates(const std::string& name) const {
  auto it = creates_.find(name);
  return it == creates_.end() ? 0 : it->second;
}

// --- ContainerOps ---

void FakeContainerOps::ensure_task_cgroup(const TaskRecord& task, const TaskDefinition&) {
  log_.add("ensure_task_cgroup " + task.id);
}

void FakeContainerOps::remove_task_cgroup(const std::string& task_id) {
  log_.add("remove_task_cgroup " + task_id);
}

void FakeContainerOps::ensure_task_dirs(const TaskRecord& task, const TaskDefinition&) {
  log_.add("ensure_task_dirs " + task.id);
}

void FakeContainerOps::write_metadata(const TaskRecord& task) {
  log_.add("write_metadata " + task.id);
}

void FakeContainerOps::create_and_start(const TaskRecord& task, const TaskDefinition&,
                                        const ContainerDefinition&, ContainerRecord& c) {
  log_.add("create_and_start " + c.runtime_id);
  ++creates_[c.name];
  if (auto it = create_errors_.find(c.name); it != create_errors_.end() && !it->second.empty()) {
    std::string error = it->second.front();
    it->second.pop_front();
    throw Error(error);
  }
  Container& made = add(c.runtime_id, task.id, c.name);
  made.ignored_signals = ignored_[c.name];
  c.shim_pid = made.shim_pid;
  c.pid = made.pid;
}

void FakeContainerOps::start(const ContainerRecord& c) {
  log_.add("start " + c.runtime_id);
  if (auto it = start_errors_.find(c.name); it != start_errors_.end()) {
    throw Error("start " + c.runtime_id + ": " + it->second);
  }
  if (Container* made = find(c.runtime_id)) made->runtime_status = "running";
}

void FakeContainerOps::signal(const ContainerRecord& c, int sig, bool all) {
  log_.add("signal " + c.runtime_id + " " + signal_name(sig) + (all ? " all" : ""));
  Container* made = find(c.runtime_id);
  if (made == nullptr || made->runtime_status.empty()) {
    throw Error("kill " + c.runtime_id + ": container does not exist");
  }
  if (!made->shim_alive) return;
  if (sig != SIGKILL && made->ignored_signals.contains(sig)) return;
  end(*made, 128 + sig, sig);
}

std::unique_ptr<Probe> FakeContainerOps::exec_probe(const ContainerRecord& c,
                                                    const std::vector<std::string>& command) {
  std::string line = "exec_probe " + c.runtime_id;
  for (const auto& arg : command) line += " " + arg;
  log_.add(line);
  if (hanging_.contains(c.name)) return std::make_unique<FakeProbe>(std::nullopt);
  auto& results = probe_results_[c.name];
  if (results.empty()) return std::make_unique<FakeProbe>(true);
  bool ok = results.front();
  if (results.size() > 1) results.pop_front();
  return std::make_unique<FakeProbe>(ok);
}

void FakeContainerOps::cleanup(const TaskRecord&, const ContainerRecord& c) {
  log_.add("cleanup " + c.runtime_id);
  containers_.erase(c.runtime_id);
}

void FakeContainerOps::kill_in_flight(const std::string& runtime_id) {
  log_.add("kill_in_flight " + runtime_id);
}

std::optional<ShimInfo> FakeContainerOps::live_shim(const TaskRecord&, const ContainerRecord& c) {
  log_.add("live_shim " + c.runtime_id);
  const Container* made = find(c.runtime_id);
  if (made == nullptr || !made->shim_alive) return std::nullopt;
  ShimInfo info{};
  info.shim_pid = made->shim_pid;
  info.container_pid = made->pid;
  info.id = c.runtime_id;
  return info;
}

std::unique_ptr<ExitWatch> FakeContainerOps::watch_exit(const TaskRecord&,
                                                        const ContainerRecord& c) {
  log_.add("watch_exit " + c.runtime_id);
  const Container* made = find(c.runtime_id);
  if (made == nullptr || !made->shim_alive) return nullptr;
  return std::make_unique<FakeExitWatch>(*this, c.runtime_id);
}

std::optional<ExitStatus> FakeContainerOps::exit_status(const TaskRecord&,
                                                        const ContainerRecord& c) {
  log_.add("exit_status " + c.runtime_id);
  const Container* made = find(c.runtime_id);
  if (made == nullptr) return std::nullopt;
  if (made->exit_unreadable) throw Error("exit.json of " + c.runtime_id + ": not valid JSON");
  return made->exit;
}

std::optional<std::string> FakeContainerOps::runtime_status(const ContainerRecord& c) {
  log_.add("runtime_status " + c.runtime_id);
  const Container* made = find(c.runtime_id);
  if (made == nullptr || made->runtime_status.empty()) return std::nullopt;
  return made->runtime_status;
}

bool FakeContainerOps::oom_killed(const TaskRecord&, const ContainerRecord& c) {
  log_.add("oom_killed " + c.runtime_id);
  const Container* made = find(c.runtime_id);
  return made != nullptr && made->oom;
}

std::optional<cgroups::Stats> FakeContainerOps::stats(const TaskRecord&, const ContainerRecord& c) {
  log_.add("stats " + c.runtime_id);
  const Container* made = find(c.runtime_id);
  if (made == nullptr) return std::nullopt;
  cgroups::Stats s;
  s.memory_current = 4096;
  s.pids_current = 1;
  s.oom_kill_events = made->oom ? 1 : 0;
  return s;
}

int FakeContainerOps::stop_signal(const std::string& image) {
  log_.add("stop_signal " + image);
  auto it = stop_signals_.find(image);
  return it == stop_signals_.end() ? SIGTERM : it->second;
}

std::vector<std::string> FakeContainerOps::runtime_containers() {
  log_.add("runtime_containers");
  std::vector<std::string> ids;
  for (const auto& [id, c] : containers_) {
    if (!c.runtime_status.empty()) ids.push_back(id);
  }
  return ids;
}

void FakeContainerOps::remove_runtime_container(const std::string& runtime_id) {
  log_.add("remove_runtime_container " + runtime_id);
  containers_.erase(runtime_id);
}

}  // namespace skiff::agent::test
