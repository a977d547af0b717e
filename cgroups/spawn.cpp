#include "cgroups/spawn.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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

// Child side, between fork and exec: async-signal-safe calls only.
// `go_fd` is read until EOF, so the child first drops its inherited copy of the write end.
[[noreturn]] void exec_child(char* const* argv, const SpawnOptions& o, int go_fd, int go_write_fd,
                             int err_fd) {
  if (go_write_fd >= 0) ::close(go_write_fd);
  if (go_fd >= 0) {
    char c;
    while (::read(go_fd, &c, 1) < 0 && errno == EINTR) {
    }
  }
  int err = 0;
  if (o.stdin_fd >= 0 && ::dup2(o.stdin_fd, 0) < 0) err = errno;
  if (!err && o.stdout_fd >= 0 && ::dup2(o.stdout_fd, 1) < 0) err = errno;
  if (!err && o.stderr_fd >= 0 && ::dup2(o.stderr_fd, 2) < 0) err = errno;
  if (!err) {
    ::execvp(argv[0], argv);
    err = errno;
  }
  (void)!::write(err_fd, &err, sizeof err);
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
void await_exec(pid_t pid, UniqueFd err_read, const std::string& what) {
  int err = 0;
  ssize_t n;
  do {
    n = ::read(err_read.get(), &err, sizeof err);
  } while (n < 0 && errno == EINTR);
  if (n == sizeof err) {
    ::waitpid(pid, nullptr, 0);
    throw SysError("exec", what, err);
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
    if (pid == 0) exec_child(cargv.data(), o, -1, -1, err.write.get());
    if (pid > 0) {
      err.write.reset();
      await_exec(pid, std::move(err.read), argv[0]);
      return {pid, SpawnPath::CloneIntoCgroup};
    }
    // ENOSYS/E2BIG/EINVAL: a kernel without clone3 or CLONE_INTO_CGROUP; fall back.
    if (errno != ENOSYS && errno != E2BIG && errno != EINVAL && errno != EOPNOTSUPP) {
      throw_errno("clone3(CLONE_INTO_CGROUP) into", cgroup.paths().front());
    }
  }

  Pipe go = make_pipe();
  pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork", argv[0]);
  if (pid == 0) exec_child(cargv.data(), o, go.read.get(), go.write.get(), err.write.get());
  err.write.reset();
  go.read.reset();
  try {
    cgroup.add_process(pid);
  } catch (...) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    throw;
  }
  go.write.reset();  // EOF releases the child
  await_exec(pid, std::move(err.read), argv[0]);
  return {pid, SpawnPath::ForkThenMove};
}

}  // namespace skiff::cgroups
