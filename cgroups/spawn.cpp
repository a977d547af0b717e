#include "cgroups/spawn.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "cgroups/self_move.h"
#include "common/error.h"
#include "common/unique_fd.h"

namespace skiff::cgroups {

namespace {

struct Pipe {
  UniqueFd read, write;
};

Pipe make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe2", "");
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// What the child sends back when it cannot get to exec: EOF on the pipe means it did.
struct ChildFailure {
  int err = 0;
  int tasks_file = -1;  // which cgroup `tasks` file refused the move; -1: exec failed
};

// Child side, between fork and exec: async-signal-safe calls only.
[[noreturn]] void exec_child(char* const* argv, const SpawnOptions& o, SelfMove* move, int err_fd) {
  ChildFailure f;
  if (move && (f.err = move->apply()) != 0) f.tasks_file = move->failed();
  if (!f.err && o.stdin_fd >= 0 && ::dup2(o.stdin_fd, 0) < 0) f.err = errno;
  if (!f.err && o.stdout_fd >= 0 && ::dup2(o.stdout_fd, 1) < 0) f.err = errno;
  if (!f.err && o.stderr_fd >= 0 && ::dup2(o.stderr_fd, 2) < 0) f.err = errno;
  if (!f.err) {
    ::execvp(argv[0], argv);
    f.err = errno;
  }
  (void)!::write(err_fd, &f, sizeof f);
  ::_exit(127);
}

pid_t clone_into(int cgroup_fd) {
  clone_args args{};
  args.flags = CLONE_INTO_CGROUP;
  args.exit_signal = SIGCHLD;
  args.cgroup = static_cast<__u64>(cgroup_fd);
  return static_cast<pid_t>(::syscall(SYS_clone3, &args, sizeof args));
}

// Reads the child's exec result: EOF means exec succeeded.
void await_exec(pid_t pid, UniqueFd err_read, const std::string& what, const SelfMove* move) {
  ChildFailure f;
  ssize_t n;
  do {
    n = ::read(err_read.get(), &f, sizeof f);
  } while (n < 0 && errno == EINTR);
  if (n == sizeof f) {
    ::waitpid(pid, nullptr, 0);
    if (move && f.tasks_file >= 0) {
      throw SysError("move into cgroup via", move->path(f.tasks_file).string(), f.err);
    }
    throw SysError("exec", what, f.err);
  }
}

}  // namespace

Spawned spawn_in(Cgroup& cgroup, const std::vector<std::string>& argv, const SpawnOptions& o) {
  if (argv.empty()) throw Error("spawn: empty argv");
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);

  Pipe err = make_pipe();
  if (UniqueFd cg = cgroup.open_for_clone()) {
    pid_t pid = clone_into(cg.get());
    if (pid == 0) exec_child(cargv.data(), o, nullptr, err.write.get());
    if (pid > 0) {
      err.write.reset();
      await_exec(pid, std::move(err.read), argv[0], nullptr);
      return {pid, SpawnPath::CloneIntoCgroup};
    }
    // ENOSYS/E2BIG/EINVAL: a kernel without clone3 or CLONE_INTO_CGROUP; fall back.
    if (errno != ENOSYS && errno != E2BIG && errno != EINVAL && errno != EOPNOTSUPP) {
      throw_errno("clone3(CLONE_INTO_CGROUP) into", cgroup.paths().front());
    }
  }

  SelfMove move(cgroup);
  pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork", argv[0]);
  if (pid == 0) exec_child(cargv.data(), o, &move, err.write.get());
  err.write.reset();
  await_exec(pid, std::move(err.read), argv[0], &move);
  return {pid, SpawnPath::ForkThenSelfMove};
}

}  // namespace skiff::cgroups
