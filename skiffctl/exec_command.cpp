// skiffctl exec: ask the agent where the container lives, then run
//   skiff-runtime --root ROOT exec [-t --console-socket S] ID cmd...
// ourselves (skiffctl runs as root on the host). Without -t the runtime simply replaces
// us. With -t the runtime sends the pty master over a console socket and we proxy our
// terminal to it in raw mode until the process exits.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <boost/beast/http/verb.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include "agent/api/http_target.h"
#include "common/error.h"
#include "common/unique_fd.h"
#include "skiffctl/api_client.h"
#include "skiffctl/task_commands.h"

namespace skiff::ctl {

namespace {

namespace fs = std::filesystem;

struct Target {
  std::string runtime, root, id;
};

Target exec_target(const std::string& socket, const ExecArgs& a) {
  auto j = AgentClient(socket).call(boost::beast::http::verb::get,
                                    "/v1/tasks/" + agent::url_encode(a.task) + "/containers/" +
                                        agent::url_encode(a.container) + "/exec-target");
  return {j.value("runtime", ""), j.value("runtimeRoot", ""), j.value("containerId", "")};
}

std::vector<std::string> runtime_argv(const Target& t, const ExecArgs& a,
                                      const std::string& console_socket) {
  std::vector<std::string> argv = {t.runtime, "--root", t.root, "exec"};
  if (!console_socket.empty()) {
    argv.insert(argv.end(), {"--tty", "--console-socket", console_socket});
  }
  argv.push_back(t.id);
  argv.insert(argv.end(), a.command.begin(), a.command.end());
  return argv;
}

[[noreturn]] void exec_argv(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& s : args) argv.push_back(const_cast<char*>(s.c_str()));
  argv.push_back(nullptr);
  ::execv(argv[0], argv.data());
  throw_errno("exec", args[0]);
}

// The private directory holding the console socket; removed on every path out.
class ConsoleSocket {
 public:
  ConsoleSocket() {
    std::string tmpl = "/tmp/skiffctl-console-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) throw_errno("mkdtemp", tmpl);
    dir_ = tmpl;
    path_ = dir_ / "console.sock";
    fd_ = UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd_) throw_errno("socket", path_);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
    if (::bind(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 ||
        ::listen(fd_.get(), 1) < 0) {
      throw_errno("listen", path_);
    }
  }
  ~ConsoleSocket() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  const fs::path& path() const { return path_; }

  // Waits for the runtime to send the pty master; nullopt if the runtime exits first.
  std::optional<UniqueFd> receive_master(pid_t runtime) {
    for (;;) {
      pollfd p{fd_.get(), POLLIN, 0};
      int r = ::poll(&p, 1, 200);
      if (r > 0) break;
      if (::waitpid(runtime, nullptr, WNOHANG | WNOWAIT) == runtime) return std::nullopt;
    }
    UniqueFd conn(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn) throw_errno("accept", path_);
    char name[256];
    iovec iov{name, sizeof name};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    if (::recvmsg(conn.get(), &msg, MSG_CMSG_CLOEXEC) < 0) throw_errno("recvmsg", path_);
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    if (c == nullptr || c->cmsg_type != SCM_RIGHTS) {
      throw Error("the runtime sent no terminal over " + path_.native());
    }
    int fd = -1;
    std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
    return UniqueFd(fd);
  }

 private:
  fs::path dir_, path_;
  UniqueFd fd_;
};

// Raw mode on our terminal for the session; restored however we leave.
class RawTerminal {
 public:
  RawTerminal() {
    if (::isatty(0) && ::tcgetattr(0, &saved_) == 0) {
      termios raw = saved_;
      ::cfmakeraw(&raw);
      active_ = ::tcsetattr(0, TCSANOW, &raw) == 0;
    }
  }
  ~RawTerminal() {
    if (active_) ::tcsetattr(0, TCSANOW, &saved_);
  }

 private:
  termios saved_{};
  bool active_ = false;
};

void copy_window_size(int master) {
  winsize ws{};
  if (::ioctl(0, TIOCGWINSZ, &ws) == 0) ::ioctl(master, TIOCSWINSZ, &ws);
}

bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// Proxies stdin -> master and master -> stdout until the master reports the end.
void proxy(int master, bool interactive) {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGWINCH);
  ::sigprocmask(SIG_BLOCK, &mask, nullptr);
  UniqueFd winch(::signalfd(-1, &mask, SFD_CLOEXEC));
  copy_window_size(master);
  bool stdin_open = interactive;
  char buf[16 * 1024];
  for (;;) {
    pollfd fds[3] = {
        {master, POLLIN, 0}, {stdin_open ? 0 : -1, POLLIN, 0}, {winch.get(), POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::read(master, buf, sizeof buf);
      if (n <= 0) {
        if (n < 0 && errno == EINTR) continue;
        return;  // EIO: the last holder of the slave is gone
      }
      write_all(1, buf, static_cast<std::size_t>(n));
    }
    if (fds[1].revents & (POLLIN | POLLHUP)) {
      ssize_t n = ::read(0, buf, sizeof buf);
      if (n <= 0) {
        stdin_open = false;
        char eof = 4;  // ^D, as a terminal would send on end of input
        write_all(master, &eof, 1);
      } else {
        write_all(master, buf, static_cast<std::size_t>(n));
      }
    }
    if (fds[2].revents & POLLIN) {
      signalfd_siginfo info;
      if (::read(winch.get(), &info, sizeof info) > 0) copy_window_size(master);
    }
  }
}

int exit_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

int exec_tty(const Target& t, const ExecArgs& a) {
  ConsoleSocket console;
  std::vector<std::string> argv = runtime_argv(t, a, console.path());
  pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork", t.runtime);
  if (pid == 0) {
    try {
      exec_argv(argv);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "skiffctl: %s\n", e.what());
    }
    ::_exit(127);
  }
  std::optional<UniqueFd> master = console.receive_master(pid);
  if (master) {
    RawTerminal raw;
    proxy(master->get(), a.interactive);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return exit_code(status);
}

}  // namespace

int exec_in_task(const std::string& socket, const ExecArgs& a) {
  Target t = exec_target(socket, a);
  if (t.runtime.empty() || t.id.empty()) throw Error("the agent gave no exec target");
  if (a.tty) return exec_tty(t, a);
  if (!a.interactive) {
    UniqueFd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!null || ::dup2(null.get(), 0) < 0) throw_errno("open", "/dev/null");
  }
  std::fflush(nullptr);
  exec_argv(runtime_argv(t, a, ""));
}

}  // namespace skiff::ctl
