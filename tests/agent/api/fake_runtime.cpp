// Stands in for `skiff-runtime --root R exec [--tty --console-socket S] ID CMD...` in the
// skiffctl exec tests: with --tty it opens a real pty, sends the master over the console
// socket (as the runtime does), runs CMD on the slave and exits with CMD's status.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "common/fd_passing.h"

int main(int argc, char** argv) {
  std::string console;
  int i = 1;
  for (; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--root" || a == "--console-socket") {
      if (i + 1 >= argc) return 2;
      if (a == "--console-socket") console = argv[i + 1];
      ++i;
    } else if (a != "exec" && a != "--tty") {
      break;
    }
  }
  if (i + 1 >= argc) return 2;  // ID and a command
  char** command = argv + i + 1;
  if (console.empty()) {
    execvp(command[0], command);
    return 127;
  }
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) return 3;
  char name[128];
  if (ptsname_r(master, name, sizeof name) != 0) return 3;
  int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, console.c_str(), sizeof addr.sun_path - 1);
  if (connect(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return 4;
  if (!skiff::send_with_fd(sock, name, std::strlen(name), master)) return 4;
  close(sock);
  pid_t pid = fork();
  if (pid == 0) {
    setsid();
    int slave = open(name, O_RDWR);
    if (slave < 0 || ioctl(slave, TIOCSCTTY, 0) != 0) _exit(5);
    for (int fd = 0; fd < 3; ++fd) dup2(slave, fd);
    execvp(command[0], command);
    _exit(127);
  }
  close(master);  // the client holds the only master now: its reads end when CMD exits
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
