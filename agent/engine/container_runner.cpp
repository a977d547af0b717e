#include "agent/engine/container_runner.h"

#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cctype>
#include <system_error>

#include "agent/engine/loopback_netns.h"
#include "agent/engine/overrides.h"
#include "common/atomic_file.h"
#include "common/error.h"
#include "common/file_io.h"

namespace skiff::agent {
namespace fs = std::filesystem;

namespace {

constexpr const char* kMetadataMount = "/skiff";
constexpr const char* kMetadataFile = "/skiff/task.json";

void make_dirs(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw SysError("mkdir", dir.string(), ec.value());
}

// Runs `what`, logging instead of throwing: cleanup must go on past one failed step.
template <typename F>
void best_effort(const char* what, const std::string& id, F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    spdlog::warn("cleanup of {}: {}: {}", id, what, e.what());
  }
}

// The shim's pidfd turns readable when it exits; without one (pidfd_open failed), /proc
// is asked each time.
class ShimExitWatch final : public ExitWatch {
 public:
  ShimExitWatch(ShimInfo info, UniqueFd pidfd) : info_(std::move(info)), pidfd_(std::move(pidfd)) {}
  bool exited() override {
    if (!pidfd_) return !shim_alive(info_);
    pollfd p{pidfd_.get(), POLLIN, 0};
    return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP)) != 0;
  }
  int fd() const override { return pidfd_ ? pidfd_.get() : -1; }

 private:
  ShimInfo info_;
  UniqueFd pidfd_;
};

class CommandProbe final : public Probe {
 public:
  explicit CommandProbe(AsyncCommand command) : command_(std::move(command)) {}
  std::optional<CommandResult> poll() override { return command_.poll(); }
  CommandResult kill() override { return command_.kill(); }

 private:
  AsyncCommand command_;  // its destructor kills a probe still running
};

}  // namespace

int parse_signal(const std::string& text) {
  if (text.empty()) return 0;
  if (std::isdigit(static_cast<unsigned char>(text[0]))) {
    try {
      int n = std::stoi(text);
      return n > 0 && n < NSIG ? n : 0;
    } catch (const std::exception&) {
      return 0;
    }
  }
  std::string name = text;
  for (auto& ch : name) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (name.starts_with("SIG")) name = name.substr(3);
  for (int sig = 1; sig < NSIG; ++sig) {
    const char* abbrev = ::sigabbrev_np(sig);
    if (abbrev != nullptr && name == abbrev) return sig;
  }
  return 0;
}

ContainerRunner::ContainerRunner(RunnerConfig config, image::Images& images)
    : config_(std::move(config)),
      images_(images),
      runtime_(config_.runtime_binary, config_.paths.runtime_root()),
      cgroups_(cgroups::Manager::for_host(cgroups::ManagerOptions{.parent = config_.cgroup_root})) {
}

std::string ContainerRunner::container_cgroup(const std::string& task_id,
                                              const std::string& name) const {
  return config_.cgroup_parent + "/" + task_id + "/" + name;
}

std::string ContainerRunner::runtime_cgroup_path(const std::string& task_id,
                                                 const std::string& name) const {
  // The runtime resolves a relative path beneath its own cgroup, which is ours (the shim
  // is our child); with an explicit root it must be absolute.
  std::string path = container_cgroup(task_id, name);
  return config_.cgroup_root.empty() ? path : config_.cgroup_root + "/" + path;
}

void ContainerRunner::ensure_task_cgroup(const TaskRecord& task, const TaskDefinition& def) {
  std::string name = config_.cgroup_parent + "/" + task.id;
  auto resources = task_resources(def);
  try {
    auto cg = cgroups_.open(name);
    cg->apply(resources);
    return;
  } catch (const std::exception&) {
    // not there yet
  }
  cgroups_.create(name, resources);
}

void ContainerRunner::remove_task_cgroup(const std::string& task_id) {
  try {
    cgroups_.open(config_.cgroup_parent + "/" + task_id)->remove();
  } catch (const std::exception& e) {
    spdlog::debug("task cgroup {}: {}", task_id, e.what());
  }
}

void ContainerRunner::ensure_task_dirs(const TaskRecord& task, const TaskDefinition& def) {
  if (fs::exists(config_.paths.metadata_dir(task.id))) return;
  for (const auto& v : def.volumes) {
    if (v.scratch()) make_dirs(config_.paths.volume_dir(task.id, v.name));
  }
  make_dirs(config_.paths.metadata_dir(task.id));
  write_metadata(task);
}

void ContainerRunner::write_metadata(const TaskRecord& task) {
  nlohmann::json containers = nlohmann::json::array();
  for (const auto& c : task.containers) {
    containers.push_back({{"Name", c.name},
                          {"Image", c.image},
                          {"DockerId", c.runtime_id},
                          {"KnownStatus", to_string(c.known)},
                          {"DesiredStatus", to_string(c.desired)},
                          {"Health", {{"status", to_string(c.health)}}},
                          {"RestartCount", c.restart_count}});
  }
  nlohmann::json doc = {{"TaskARN", task.id},
                        {"Family", task.family},
                        {"DesiredStatus", to_string(task.desired)},
                        {"KnownStatus", to_string(task.known)},
                        {"LaunchType", "EXTERNAL"},
                        {"Containers", containers}};
  auto dir = config_.paths.metadata_dir(task.id);
  if (!fs::exists(dir)) return;
  // Rebuilt from task.json at every change: atomic for readers, no fsync needed.
  write_file_atomic(dir / "task.json", doc.dump(2), 0644, /*durable=*/false);
}

void ContainerRunner::create_and_start(const TaskRecord& task, const TaskDefinition& def,
                                       const ContainerDefinition& cd, ContainerRecord& c) {
  OverrideContext ctx;
  for (const auto& v : def.volumes) {
    ctx.volume_paths[v.name] =
        v.scratch() ? config_.paths.volume_dir(task.id, v.name).string() : v.host_source_path;
  }
  for (const auto& file : cd.environment_files) {
    auto more = parse_env_file(read_file(file), file);
    ctx.file_environment.insert(ctx.file_environment.end(), more.begin(), more.end());
  }
  ctx.hostname = config_.hostname;
  ctx.cgroups_path = runtime_cgroup_path(task.id, c.name);
  // pidMode/ipcMode "task": join the namespaces of the first container that runs.
  for (const auto& other : task.containers) {
    if (other.name == c.name || other.known != ContainerStatus::Running || other.pid <= 0) continue;
    if (def.pid_mode == NamespaceMode::Task && ctx.pid_ns_path.empty()) {
      ctx.pid_ns_path = "/proc/" + std::to_string(other.pid) + "/ns/pid";
    }
    if (def.ipc_mode == NamespaceMode::Task && ctx.ipc_ns_path.empty()) {
      ctx.ipc_ns_path = "/proc/" + std::to_string(other.pid) + "/ns/ipc";
    }
  }
  // Made inside the try below, so that a failure after it unmounts it (cleanup).
  if (cd.disable_networking) ctx.loopback_ns_path = config_.paths.netns_file(task.id, c.name);
  auto overrides = container_overrides(def, cd, ctx);
  if (cd.linux_parameters.init_process_enabled) {
    if (config_.init_binary.empty()) {
      throw Error("containerDefinitions[" + cd.name +
                  "].linuxParameters.initProcessEnabled: no init binary on this host "
                  "(install catatonit or tini, or set SKIFF_INIT)");
    }
    overrides.init_path = config_.init_binary.string();
  }
  overrides.mounts.push_back(image::BundleMount{
      .destination = kMetadataMount,
      .source = config_.paths.metadata_dir(task.id).string(),
      .readonly = true,
  });
  overrides.env.push_back(std::string("ECS_CONTAINER_METADATA_FILE=") + kMetadataFile);
  overrides.env.push_back(std::string("SKIFF_METADATA_FILE=") + kMetadataFile);
  overrides.env.push_back("SKIFF_TASK_ID=" + task.id);

  auto bundle = config_.paths.bundle_dir(task.id, c.name);
  auto shim_dir = config_.paths.shim_dir(task.id, c.name);
  make_dirs(bundle.parent_path());
  try {
    if (!ctx.loopback_ns_path.empty()) create_loopback_netns(ctx.loopback_ns_path);
    images_.create_bundle(c.image, bundle, overrides, c.runtime_id);
    ShimConfig shim;
    shim.id = c.runtime_id;
    shim.name = task.family + "-" + c.name;
    shim.bundle = bundle;
    shim.state_dir = shim_dir;
    shim.runtime = config_.runtime_binary;
    shim.runtime_root = config_.paths.runtime_root();
    shim.shim_binary = config_.shim_binary;
    shim.log_path = config_.paths.log_file(task.id, c.name);
    shim.start = true;
    switch (cd.log_configuration.driver) {
      case LogDriver::Journald:
        shim.log_driver = "journald";
        break;
      case LogDriver::JsonFile:
      case LogDriver::Local:
        shim.log_driver = "file";
        break;
    }
    if (cd.log_configuration.max_size) {
      shim.log_max_size = static_cast<std::uint64_t>(*cd.log_configuration.max_size);
    }
    if (cd.log_configuration.max_file) {
      shim.log_max_files = static_cast<unsigned>(*cd.log_configuration.max_file);
    }
    make_dirs(shim.log_path.parent_path());
    make_dirs(config_.paths.runtime_root());
    auto started = launch_shim(shim);
    c.shim_pid = started.shim_pid;
    c.pid = started.container_pid;
  } catch (...) {
    cleanup(task, c);
    throw;
  }
}

void ContainerRunner::signal(const ContainerRecord& c, int sig, bool all) {
  runtime_.kill(c.runtime_id, sig, all);
}

std::unique_ptr<Probe> ContainerRunner::exec_probe(const ContainerRecord& c,
                                                   const std::vector<std::string>& command) {
  return std::make_unique<CommandProbe>(
      AsyncCommand::spawn(runtime_.exec_argv(c.runtime_id, command), 4096));
}

std::optional<ShimInfo> ContainerRunner::live_shim(const TaskRecord& task,
                                                   const ContainerRecord& c) {
  auto info = read_shim_info(config_.paths.shim_dir(task.id, c.name));
  if (!info || !shim_alive(*info)) return std::nullopt;
  return info;
}

std::unique_ptr<ExitWatch> ContainerRunner::watch_exit(const TaskRecord& task,
                                                       const ContainerRecord& c) {
  auto info = live_shim(task, c);
  if (!info) return nullptr;
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, info->shim_pid, 0)));
  // The shim may have exited (and its pid been reused) between the check and the open: a
  // pidfd is trusted only if the recorded identity still matches after it was opened.
  if (!shim_alive(*info)) return nullptr;
  return std::make_unique<ShimExitWatch>(std::move(*info), std::move(pidfd));
}

std::optional<ExitStatus> ContainerRunner::exit_status(const TaskRecord& task,
                                                       const ContainerRecord& c) {
  return read_exit_status(config_.paths.shim_dir(task.id, c.name));
}

bool ContainerRunner::oom_killed(const TaskRecord& task, const ContainerRecord& c) {
  auto s = stats(task, c);
  return s && s->oom_kill_events > 0;
}

std::optional<cgroups::Stats> ContainerRunner::stats(const TaskRecord& task,
                                                     const ContainerRecord& c) {
  try {
    return cgroups_.open(container_cgroup(task.id, c.name))->stats();
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

void ContainerRunner::cleanup(const TaskRecord& task, const ContainerRecord& c) {
  if (!c.runtime_id.empty()) {
    best_effort("runtime delete", c.runtime_id, [&] { runtime_.remove(c.runtime_id); });
  }
  best_effort("remove bundle", c.runtime_id,
              [&] { images_.remove_bundle(config_.paths.bundle_dir(task.id, c.name)); });
  best_effort("remove network namespace", c.runtime_id,
              [&] { remove_netns(config_.paths.netns_file(task.id, c.name)); });
  best_effort("remove shim state", c.runtime_id, [&] {
    std::error_code ec;
    fs::remove_all(config_.paths.shim_dir(task.id, c.name), ec);
  });
  // The runtime removes the container cgroup on delete; one left by a crash goes here.
  std::unique_ptr<cgroups::Cgroup> leftover;
  try {
    leftover = cgroups_.open(container_cgroup(task.id, c.name));
  } catch (const std::exception&) {
    return;  // gone, as expected
  }
  best_effort("remove cgroup", c.runtime_id, [&] { leftover->remove(); });
}

void ContainerRunner::kill_in_flight(const std::string& id) {
  auto holders = [&] {
    std::vector<pid_t> pids;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/proc", ec)) {
      std::string name = e.path().filename().string();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      pid_t pid = static_cast<pid_t>(std::stol(name));
      if (pid == ::getpid()) continue;
      std::string cmdline;
      try {
        cmdline = read_file(e.path() / "cmdline");
      } catch (const std::exception&) {
        continue;  // exited meanwhile
      }
      for (std::size_t pos = 0; pos < cmdline.size();) {
        std::size_t end = cmdline.find('\0', pos);
        if (end == std::string::npos) end = cmdline.size();
        if (cmdline.compare(pos, end - pos, id) == 0) {
          pids.push_back(pid);
          break;
        }
        pos = end + 1;
      }
    }
    return pids;
  };
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto pids = holders();
    if (pids.empty()) return;
    for (pid_t pid : pids) ::kill(pid, SIGKILL);
    ::usleep(20'000);
  }
  spdlog::warn("processes for {} survive SIGKILL", id);
}

int ContainerRunner::stop_signal(const std::string& image) {
  try {
    auto resolved = images_.resolve(image);
    const auto& cfg = resolved.config;
    if (cfg.contains("config") && cfg["config"].is_object()) {
      const auto& inner = cfg["config"];
      if (auto it = inner.find("StopSignal"); it != inner.end() && it->is_string()) {
        if (int sig = parse_signal(it->get<std::string>()); sig > 0) return sig;
      }
    }
  } catch (const std::exception&) {
    // fall through to the default
  }
  return SIGTERM;
}

std::vector<std::string> ContainerRunner::runtime_containers() {
  std::vector<std::string> ids;
  std::error_code ec;
  const auto root = config_.paths.runtime_root();
  if (!fs::is_directory(root, ec)) return ids;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    std::string id = entry.path().filename().string();
    // A leading dot is the runtime's own (its seccomp cache); no container id has one.
    if (entry.is_directory() && !id.starts_with('.')) ids.push_back(std::move(id));
  }
  return ids;
}

}  // namespace skiff::agent
