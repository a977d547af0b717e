#include "agent/shim/monitor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "agent/shim/line_pump.h"
#include "agent/shim/shim_files.h"
#include "agent/shim/timestamp.h"
#include "common/atomic_file.h"
#include "common/error.h"
#include "common/proc_stat.h"
#include "common/unique_fd.h"

extern char** environ;

namespace skiff::agent {

namespace {

// Output seen while the runtime runs. After `create` that is only the runtime (the init
// waits for start), and its error is what the agent needs to see. After `run --detach` the
// container may already be writing: that is its log, so none of it may be dropped. Once the
// capture is full the pipe is no longer read until the runtime has exited, and what the
// container writes meanwhile waits in the pipe.
struct Capture {
  static constexpr std::size_t kMax = 256 * 1024;
  std::string data;
  bool full() const { return data.size() >= kMax; }
  std::size_t room() const { return kMax - data.size(); }
};

// Children reaped before the container pid was known (the init may die right after create).
struct Reaped {
  pid_t pid = 0;
  int status = 0;
  char at[kTimestampSize] = {};
};

void write_all(int fd, const std::string& s) {
  std::size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the agent went away: nothing left to tell
    done += static_cast<std::size_t>(n);
  }
}

long elapsed_ms(const timespec& since) {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return (now.tv_sec - since.tv_sec) * 1000 + (now.tv_nsec - since.tv_nsec) / 1000000;
}

class Monitor {
 public:
  explicit Monitor(const ShimOptions& o) : o_(o) {}
  int run();

 private:
  void setup();
  void spawn_runtime();
  void on_readable(int index);
  void reap();
  void on_created(int status);
  void on_init_exit(int status, const char* at);
  void fail(const std::string& message);
  void write_state();
  void write_exit();
  std::string path(const char* name) const { return o_.state_dir + "/" + name; }

  const ShimOptions& o_;
  UniqueFd sigfd_;
  UniqueFd pipes_[2];  // read ends: stdout, stderr
  std::unique_ptr<LogSink> sink_;
  bool log_existed_ = true;
  pid_t runtime_pid_ = -1;
  pid_t init_pid_ = -1;
  enum class Phase { creating, running, exited, failed } phase_ = Phase::creating;
  Capture capture_[2];
  LinePump pumps_[2] = {LinePump(LogStream::out), LinePump(LogStream::err)};
  Reaped early_[16];
  std::size_t early_count_ = 0;
  int exit_status_ = 0;
  char exited_at_[kTimestampSize] = {};
  timespec exit_seen_{};
};

void Monitor::setup() {
  if (::mkdir(o_.state_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    throw_errno("create state dir", o_.state_dir);
  }
  // A state dir reused for a new container must not show the last one's exit.
  for (const char* name : {shim_files::kExit, shim_files::kState, shim_files::kPidFile}) {
    ::unlink(path(name).c_str());
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &set, nullptr);
  sigfd_.reset(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sigfd_) throw_errno("signalfd", "SIGCHLD");
  if (o_.log.driver == "file") {
    struct stat st {};
    log_existed_ = ::lstat(o_.log.path.c_str(), &st) == 0;
  }
  sink_ = make_log_sink(o_.log);
}

void Monitor::spawn_runtime() {
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) throw_errno("pipe", "stdout");
  UniqueFd out_r(out[0]), out_w(out[1]);
  if (::pipe2(err, O_CLOEXEC) != 0) throw_errno("pipe", "stderr");
  UniqueFd err_r(err[0]), err_w(err[1]);
  ::fcntl(out_r.get(), F_SETFL, O_NONBLOCK);
  ::fcntl(err_r.get(), F_SETFL, O_NONBLOCK);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_w.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err_w.get(), 2);
  // The runtime and the container init inherit neither our ignored signals nor our mask.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults, empty;
  sigemptyset(&defaults);
  for (int sig : {SIGHUP, SIGPIPE, SIGTERM, SIGINT, SIGQUIT, SIGTTIN, SIGTTOU, SIGCHLD}) {
    sigaddset(&defaults, sig);
  }
  sigemptyset(&empty);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  std::string pid_file = path(shim_files::kPidFile);
  std::vector<std::string> args = {o_.runtime};
  if (!o_.runtime_root.empty()) args.insert(args.end(), {"--root", o_.runtime_root});
  if (o_.start) {
    args.insert(args.end(), {"run", "--detach"});
  } else {
    args.push_back("create");
  }
  args.insert(args.end(), {"--bundle", o_.bundle, "--pid-file", pid_file, o_.id});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int rc = ::posix_spawnp(&runtime_pid_, argv[0], &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) throw SysError("spawn runtime", o_.runtime, rc);
  pipes_[0] = std::move(out_r);
  pipes_[1] = std::move(err_r);
}

void Monitor::on_readable(int index) {
  if (phase_ != Phase::creating) {
    if (pumps_[index].pump(pipes_[index].get(), *sink_) == LinePump::Result::eof) {
      pipes_[index].reset();  // EOF: every writer is gone
    }
    return;
  }
  Capture& c = capture_[index];
  if (c.full()) return;
  char buf[4096];
  ssize_t n = ::read(pipes_[index].get(), buf, std::min(sizeof buf, c.room()));
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {
    pipes_[index].reset();
    return;
  }
  c.data.append(buf, static_cast<std::size_t>(n));
}

void Monitor::reap() {
  signalfd_siginfo info;
  while (::read(sigfd_.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
  }
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    char at[kTimestampSize];
    now_rfc3339_nano(at);
    if (pid == runtime_pid_) {
      runtime_pid_ = -1;
      on_created(status);
    } else if (pid == init_pid_ && phase_ == Phase::running) {
      on_init_exit(status, at);
    } else if (phase_ == Phase::creating && early_count_ < std::size(early_)) {
      early_[early_count_].pid = pid;
      early_[early_count_].status = status;
      std::memcpy(early_[early_count_].at, at, sizeof at);
      ++early_count_;
    }
  }
}

void Monitor::on_created(int status) {
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    // Anything still buffered in the pipes is part of the runtime's message.
    for (int i = 0; i < 2; ++i) {
      while (pipes_[i] && !capture_[i].full()) {
        std::size_t before = capture_[i].data.size();
        on_readable(i);
        if (capture_[i].data.size() == before) break;
      }
    }
    const Capture& c = capture_[1].data.empty() ? capture_[0] : capture_[1];
    std::string message = c.data.substr(0, 2048);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
      message.pop_back();
    }
    if (message.empty()) {
      message = WIFEXITED(status) ? "exited with status " + std::to_string(WEXITSTATUS(status))
                                  : "killed by signal " + std::to_string(WTERMSIG(status));
    }
    fail(o_.runtime + " create " + o_.id + ": " + message);
    return;
  }
  try {
    std::string text;
    {
      UniqueFd fd(::open(path(shim_files::kPidFile).c_str(), O_RDONLY | O_CLOEXEC));
      if (!fd) throw_errno("open", path(shim_files::kPidFile));
      char buf[32] = {};
      if (::read(fd.get(), buf, sizeof buf - 1) <= 0)
        throw_errno("read", path(shim_files::kPidFile));
      text = buf;
    }
    char* end = nullptr;
    long pid = std::strtol(text.c_str(), &end, 10);
    if (pid <= 1 || end == text.c_str()) {
      throw Error("pid file " + path(shim_files::kPidFile) + ": no pid in '" + text + "'");
    }
    init_pid_ = static_cast<pid_t>(pid);
    write_state();
  } catch (const std::exception& e) {
    if (init_pid_ > 0) ::kill(init_pid_, SIGKILL);  // created but unusable: do not leave it
    fail(e.what());
    return;
  }
  phase_ = Phase::running;
  write_all(o_.ready_fd,
            "ok " + std::to_string(init_pid_) + " " + std::to_string(::getpid()) + "\n");
  ::close(o_.ready_fd);
  for (int i = 0; i < 2; ++i) {
    // A full capture may have more in the pipe: its last line can still be completed.
    pumps_[i].feed(capture_[i].data.data(), capture_[i].data.size(), !capture_[i].full(), *sink_);
    std::string().swap(capture_[i].data);
  }
  for (std::size_t i = 0; i < early_count_; ++i) {
    if (early_[i].pid == init_pid_) on_init_exit(early_[i].status, early_[i].at);
  }
}

void Monitor::on_init_exit(int status, const char* at) {
  phase_ = Phase::exited;
  exit_status_ = status;
  std::memcpy(exited_at_, at, kTimestampSize);
  ::clock_gettime(CLOCK_MONOTONIC, &exit_seen_);
}

void Monitor::fail(const std::string& message) {
  phase_ = Phase::failed;
  std::string line = message;
  for (char& ch : line) {
    if (ch == '\n') ch = ' ';  // the report is one line
  }
  write_all(o_.ready_fd, "error " + std::to_string(::getpid()) + " " + line + "\n");
  ::close(o_.ready_fd);
  for (const char* name : {shim_files::kPidFile, shim_files::kState}) {
    ::unlink(path(name).c_str());
  }
  ::rmdir(o_.state_dir.c_str());
  sink_.reset();
  if (!log_existed_) ::unlink(o_.log.path.c_str());
}

void Monitor::write_state() {
  auto shim_start = process_start_time(::getpid());
  auto init_start = process_start_time(init_pid_);
  char now[kTimestampSize];
  now_rfc3339_nano(now);
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "{\"id\":\"%s\",\"shimPid\":%d,\"shimStartTime\":%llu,\"containerPid\":%d,"
                "\"containerStartTime\":%llu,\"startedAt\":\"%s\"}\n",
                o_.id.c_str(), static_cast<int>(::getpid()),
                static_cast<unsigned long long>(shim_start.value_or(0)),
                static_cast<int>(init_pid_),
                static_cast<unsigned long long>(init_start.value_or(0)), now);
  write_file_atomic(path(shim_files::kState), buf, 0600);
}

void Monitor::write_exit() {
  int code = WIFEXITED(exit_status_) ? WEXITSTATUS(exit_status_) : 128 + WTERMSIG(exit_status_);
  char signal_field[32] = "";
  if (WIFSIGNALED(exit_status_)) {
    std::snprintf(signal_field, sizeof signal_field, ",\"signal\":%d", WTERMSIG(exit_status_));
  }
  char buf[256];
  std::snprintf(buf, sizeof buf, "{\"pid\":%d,\"exitCode\":%d%s,\"exitedAt\":\"%s\"}\n",
                static_cast<int>(init_pid_), code, signal_field, exited_at_);
  try {
    write_file_atomic(path(shim_files::kExit), buf, 0600);
  } catch (const Error&) {
    // Nobody to tell: the agent will find no exit.json and report the exit as unknown.
  }
}

int Monitor::run() {
  try {
    setup();
    spawn_runtime();
  } catch (const std::exception& e) {
    fail(e.what());
    return 1;
  }
  for (;;) {
    if (phase_ == Phase::failed) return 1;
    int timeout = -1;
    if (phase_ == Phase::exited) {
      long left = static_cast<long>(o_.drain_timeout_ms) - elapsed_ms(exit_seen_);
      if ((!pipes_[0] && !pipes_[1]) || left <= 0) break;
      timeout = static_cast<int>(left);
    }
    // A full capture is not polled: the rest stays in the pipe until the runtime exits.
    auto polled = [&](int i) {
      return pipes_[i] && !(phase_ == Phase::creating && capture_[i].full()) ? pipes_[i].get() : -1;
    };
    pollfd fds[3] = {{sigfd_.get(), POLLIN, 0}, {polled(0), POLLIN, 0}, {polled(1), POLLIN, 0}};
    int n = ::poll(fds, 3, timeout);
    if (n < 0 && errno != EINTR) break;
    if (n <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i + 1].revents & (POLLIN | POLLHUP | POLLERR)) on_readable(i);
    }
    if (fds[0].revents & POLLIN) reap();
  }
  // Children still running (a daemon in a container without a pid namespace) pass to init.
  reap();
  write_exit();
  return 0;
}

}  // namespace

int run_monitor(const ShimOptions& options) {
  Monitor m(options);
  return m.run();
}

}  // namespace skiff::agent
