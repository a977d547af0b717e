#include "runtime/console.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

#include "common/error.h"
#include "common/fd_passing.h"

namespace skiff::runtime {

UniqueFd setup_console(const oci::ConsoleSize& size) {
  UniqueFd master(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master) throw_errno("open", "/dev/ptmx");
  if (::unlockpt(master.get()) != 0) throw_errno("unlockpt", "/dev/ptmx");
  char name[128];
  if (::ptsname_r(master.get(), name, sizeof name) != 0) throw_errno("ptsname", "/dev/ptmx");
  if (size.height && size.width) {
    winsize ws{};
    ws.ws_row = static_cast<unsigned short>(size.height);
    ws.ws_col = static_cast<unsigned short>(size.width);
    if (::ioctl(master.get(), TIOCSWINSZ, &ws) != 0) throw_errno("set window size of", name);
  }
  if (::setsid() < 0) throw_errno("setsid for", name);
  int slave = ::open(name, O_RDWR | O_NOCTTY);
  if (slave < 0) throw_errno("open", name);
  if (::ioctl(slave, TIOCSCTTY, 0) != 0) throw_errno("make controlling terminal:", name);
  for (int fd = 0; fd <= 2; ++fd) {
    if (::dup2(slave, fd) < 0) throw_errno("dup2 onto stdio:", name);
  }
  if (slave > 2) ::close(slave);
  return master;
}

void send_console_master(const std::string& socket_path, int master) {
  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) throw_errno("socket for", socket_path);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path) {
    throw Error("--console-socket " + socket_path + ": path too long for a unix socket");
  }
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw_errno("connect to console socket", socket_path);
  }
  char name[128] = "/dev/ptmx";
  (void)::ptsname_r(master, name, sizeof name);
  if (!send_with_fd(sock.get(), name, std::strlen(name), master)) {
    throw_errno("send pty master to console socket", socket_path);
  }
}

}  // namespace skiff::runtime
