#include "agent/shim/shim_client.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "common/proc_stat.h"
#include "agent/shim/shim_files.h"
#include "common/error.h"
#include "common/unique_fd.h"

extern char** environ;

namespace skiff::agent {

namespace fs = std::filesystem;

namespace {

fs::path shim_binary(const ShimConfig& c) {
  if (!c.shim_binary.empty()) return c.shim_binary;
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw Error("locate skiff-shim: read /proc/self/exe: " + ec.message());
  return self.parent_path() / SKIFF_SHIM_DEFAULT_BINARY;
}

std::vector<std::string> shim_args(const ShimConfig& c, const fs::path& binary, int ready_fd) {
  std::vector<std::string> a = {binary.string(),
                                "--id",
                                c.id,
                                "--bundle",
                                c.bundle.string(),
                                "--state-dir",
                                c.state_dir.string(),
                                "--runtime",
                                c.runtime.string(),
                                "--log-driver",
                                c.log_driver,
                                "--log-max-size",
                                std::to_string(c.log_max_size),
                                "--log-max-files",
                                std::to_string(c.log_max_files),
                                "--drain-timeout-ms",
                                std::to_string(c.drain_timeout_ms),
                                "--ready-fd",
                                std::to_string(ready_fd)};
  if (!c.runtime_root.empty()) a.insert(a.end(), {"--runtime-root", c.runtime_root.string()});
  if (!c.log_path.empty()) a.insert(a.end(), {"--log-path", c.log_path.string()});
  if (!c.name.empty()) a.insert(a.end(), {"--name", c.name});
  if (c.start) a.push_back("--start");
  return a;
}

// Reads the ready pipe up to its one line (or EOF: the shim died first) or the deadline.
std::string read_ready(int fd, int timeout_seconds, const std::string& id) {
  std::string text;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw Error("shim for " + id + ": no ready report in time");
    pollfd p{fd, POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("poll", "shim ready pipe");
    if (n == 0) continue;
    char buf[4096];
    ssize_t r = ::read(fd, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throw_errno("read", "shim ready pipe");
    if (r == 0) return text;
    text.append(buf, static_cast<std::size_t>(r));
    auto nl = text.find('\n');
    if (nl != std::string::npos) return text.substr(0, nl);
    if (text.size() > (1 << 16)) return text;  // a runaway shim: the head says enough
  }
}

// A failed shim exits right after reporting; wait for it (pidfd: it is not our child) so
// the caller really finds no shim behind.
void wait_gone(pid_t pid) {
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) return;  // already gone
  UniqueFd guard(pidfd);
  pollfd p{pidfd, POLLIN, 0};
  if (::poll(&p, 1, 10000) == 0) ::kill(pid, SIGKILL);
}

nlohmann::json read_json(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw_errno("open", file.string());
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw Error(file.string() + ": " + e.what());
  }
}

template <typename T>
T field(const nlohmann::json& j, const char* key, const fs::path& file) {
  if (!j.is_object() || !j.contains(key)) throw Error(file.string() + ": missing " + key);
  try {
    return j.at(key).get<T>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(file.string() + ": field " + key + ": " + e.what());
  }
}

}  // namespace

ShimStarted launch_shim(const ShimConfig& c) {
  fs::path binary = shim_binary(c);
  std::error_code ec;
  bool made_dir = fs::create_directories(c.state_dir, ec);
  if (ec) throw Error("create shim state dir " + c.state_dir.string() + ": " + ec.message());
  if (c.log_driver == "file" && c.log_path.has_parent_path()) {
    fs::create_directories(c.log_path.parent_path(), ec);
    if (ec) {
      if (made_dir) fs::remove(c.state_dir, ec);
      throw Error("create log dir " + c.log_path.parent_path().string() + ": " + ec.message());
    }
  }

  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) throw_errno("pipe", "shim ready");
  UniqueFd ready_r(p[0]), ready_w(p[1]);
  constexpr int kReadyFd = 3;
  auto args = shim_args(c, binary, kReadyFd);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // dup2 onto fd 3 clears close-on-exec there; every other fd of the agent stays behind.
  // (If the pipe already is fd 3, dup2 would be a no-op that keeps O_CLOEXEC: move it.)
  if (ready_w.get() == kReadyFd) {
    UniqueFd moved(::fcntl(ready_w.get(), F_DUPFD_CLOEXEC, 10));
    ready_w = std::move(moved);
  }
  posix_spawn_file_actions_adddup2(&actions, ready_w.get(), kReadyFd);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t all, none;
  sigfillset(&all);
  sigdelset(&all, SIGKILL);
  sigdelset(&all, SIGSTOP);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  pid_t first = -1;
  int rc = ::posix_spawn(&first, argv[0], &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ready_w.reset();
  if (rc != 0) {
    if (made_dir) fs::remove(c.state_dir, ec);
    throw SysError("spawn shim", binary.string(), rc);
  }
  // The spawned process forks the shim and exits at once (daemonize.h).
  int status = 0;
  while (::waitpid(first, &status, 0) < 0 && errno == EINTR) {
  }
  std::string line = read_ready(ready_r.get(), c.ready_timeout_seconds, c.id);

  std::istringstream in(line);
  std::string word;
  long a = 0, b = 0;
  in >> word >> a >> b;
  if (word == "ok" && a > 0 && b > 0) {
    return {static_cast<pid_t>(b), static_cast<pid_t>(a)};
  }
  if (made_dir) fs::remove(c.state_dir, ec);  // only if the shim left it empty
  if (word == "error") {
    std::string message = line.substr(std::min(line.size(), line.find(' ', 6) + 1));
    if (a > 0 && a != first) wait_gone(static_cast<pid_t>(a));
    throw Error("shim for " + c.id + ": " + message);
  }
  throw Error("shim for " + c.id + " exited (status " + std::to_string(status) +
              ") without a ready report" + (line.empty() ? "" : ": '" + line + "'"));
}

std::optional<ExitStatus> read_exit_status(const fs::path& state_dir) {
  fs::path file = state_dir / shim_files::kExit;
  if (!fs::exists(file)) return std::nullopt;
  auto j = read_json(file);
  ExitStatus s{field<int>(j, "exitCode", file), 0, field<std::string>(j, "exitedAt", file),
               field<pid_t>(j, "pid", file)};
  if (j.contains("signal")) s.signal = field<int>(j, "signal", file);
  return s;
}

std::optional<ShimInfo> read_shim_info(const fs::path& state_dir) {
  fs::path file = state_dir / shim_files::kState;
  if (!fs::exists(file)) return std::nullopt;
  auto j = read_json(file);
  ShimInfo info{field<pid_t>(j, "shimPid", file), field<pid_t>(j, "containerPid", file)};
  info.shim_start_time = field<std::uint64_t>(j, "shimStartTime", file);
  info.container_start_time = field<std::uint64_t>(j, "containerStartTime", file);
  info.id = field<std::string>(j, "id", file);
  info.started_at = field<std::string>(j, "startedAt", file);
  if (info.shim_pid <= 0 || info.container_pid <= 0) throw Error(file.string() + ": bad pid");
  return info;
}

bool shim_alive(const ShimInfo& info) {
  if (info.shim_pid <= 0) return false;
  auto st = read_proc_stat(info.shim_pid);
  // A zombie has exited: it only waits for whoever adopted it to reap it.
  return st && st->state != 'Z' && st->start_time == info.shim_start_time;
}

}  // namespace skiff::agent
