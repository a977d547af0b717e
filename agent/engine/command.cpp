#include "agent/engine/command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <thread>
#include <utility>

#include "common/argv.h"
#include "common/error.h"

extern char** environ;

namespace skiff::agent {

bool CommandResult::ok() const {
  return !timed_out && WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;
}

int CommandResult::exit_code() const {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

AsyncCommand::AsyncCommand(AsyncCommand&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)),
      out_(std::move(o.out_)),
      output_(std::move(o.output_)),
      cap_(o.cap_) {}

AsyncCommand& AsyncCommand::operator=(AsyncCommand&& o) noexcept {
  if (this != &o) {
    if (running()) kill();
    pid_ = std::exchange(o.pid_, -1);
    out_ = std::move(o.out_);
    output_ = std::move(o.output_);
    cap_ = o.cap_;
  }
  return *this;
}

AsyncCommand::~AsyncCommand() {
  if (running()) kill();
}

AsyncCommand AsyncCommand::spawn(const std::vector<std::string>& argv, std::size_t output_cap) {
  if (argv.empty()) throw Error("spawn: empty command");
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe2", argv[0]);
  UniqueFd read_end(fds[0]), write_end(fds[1]);

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawnattr_init(&attr);
  ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_adddup2(&actions, write_end.get(), 1);
  ::posix_spawn_file_actions_adddup2(&actions, write_end.get(), 2);
  // A fresh process group (for kill) and default signal handling (the agent blocks some).
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  ::posix_spawnattr_setsigdefault(&attr, &all);
  ::posix_spawnattr_setsigmask(&attr, &none);
  ::posix_spawnattr_setpgroup(&attr, 0);
  ::posix_spawnattr_setflags(
      &attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  auto args = c_argv(argv);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, argv[0].c_str(), &actions, &attr, args.data(), environ);
  ::posix_spawn_file_actions_destroy(&actions);
  ::posix_spawnattr_destroy(&attr);
  if (rc != 0) throw SysError("posix_spawn", argv[0], rc);

  AsyncCommand cmd;
  cmd.pid_ = pid;
  cmd.out_ = std::move(read_end);
  cmd.cap_ = output_cap;
  ::fcntl(cmd.out_.get(), F_SETFL, O_NONBLOCK);
  return cmd;
}

void AsyncCommand::drain() {
  if (!out_) return;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(out_.get(), buf, sizeof buf);
    if (n > 0) {
      std::size_t room = cap_ > output_.size() ? cap_ - output_.size() : 0;
      output_.append(buf, std::min(room, static_cast<std::size_t>(n)));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) out_.reset();  // every writer closed
    return;
  }
}

std::optional<CommandResult> AsyncCommand::poll() {
  if (!running()) return std::nullopt;
  drain();
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == 0) return std::nullopt;
  // Reaped (or lost to someone else's wait: report it as a failure rather than hang).
  if (r < 0) status = 0xff00;
  pid_ = -1;
  drain();
  out_.reset();
  return CommandResult{status, false, std::move(output_)};
}

CommandResult AsyncCommand::kill() {
  CommandResult result;
  result.timed_out = true;
  if (!running()) return result;
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  drain();
  out_.reset();
  result.wait_status = status;
  result.output = std::move(output_);
  return result;
}

CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                          std::size_t output_cap) {
  auto cmd = AsyncCommand::spawn(argv, output_cap);
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, cmd.pid(), 0)));
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (auto r = cmd.poll()) return std::move(*r);
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return cmd.kill();
    // A pidfd wakes us the moment the child exits; the runtime's commands take a few ms.
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
    pollfd pfds[2] = {{pidfd.get(), POLLIN, 0}, {cmd.output_fd(), POLLIN, 0}};
    int wait_ms = pidfd ? static_cast<int>(std::min<long long>(left + 1, 1000)) : 1;
    ::poll(pfds, 2, wait_ms);
  }
}

}  // namespace skiff::agent
