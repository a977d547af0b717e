#include "agent/shim/daemonize.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.h"

namespace skiff::agent {

namespace {

void close_fds_except(int keep) {
  // close_range(2) is one syscall; fall back to nothing worse than a loop on old kernels.
  if (keep > 3 && ::syscall(SYS_close_range, 3u, static_cast<unsigned>(keep - 1), 0u) != 0) {
    for (int fd = 3; fd < keep; ++fd) ::close(fd);
  }
  if (keep < 3) keep = 2;
  if (::syscall(SYS_close_range, static_cast<unsigned>(keep + 1), ~0u, 0u) != 0) {
    for (int fd = keep + 1; fd < 1024; ++fd) ::close(fd);
  }
}

}  // namespace

void daemonize(int keep_fd) {
  close_fds_except(keep_fd);
  // Only the shim writes the ready line: the runtime and the container must not inherit
  // the fd, or the agent's end would see EOF only when the container exits.
  ::fcntl(keep_fd, F_SETFD, FD_CLOEXEC);
  int devnull = ::open("/dev/null", O_RDWR);
  if (devnull < 0) throw_errno("open", "/dev/null");
  for (int fd = 0; fd < 3; ++fd) ::dup2(devnull, fd);
  if (devnull > 2) ::close(devnull);
  if (::chdir("/") != 0) throw_errno("chdir", "/");

  pid_t middle = ::fork();
  if (middle < 0) throw_errno("fork", "");
  if (middle > 0) {
    int status = 0;
    while (::waitpid(middle, &status, 0) < 0 && errno == EINTR) {
    }
    ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
  }
  ::setsid();
  pid_t shim = ::fork();
  if (shim < 0) ::_exit(1);
  if (shim > 0) ::_exit(0);

  for (int sig : {SIGHUP, SIGPIPE, SIGTERM, SIGINT, SIGQUIT, SIGTTIN, SIGTTOU}) {
    ::signal(sig, SIG_IGN);
  }
  ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

}  // namespace skiff::agent
