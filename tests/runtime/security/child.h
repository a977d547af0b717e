// Runs test bodies in a fork()ed child: seccomp filters, capability drops and user switches
// cannot be undone, so they must never happen in the test process itself. The child reports
// "key=value" lines over a pipe and the parent makes the assertions.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/unique_fd.h"

namespace skiff::runtime::security::testing {

struct ChildOutcome {
  int wait_status = 0;
  std::map<std::string, std::string> values;  // "key=value" lines
  // "Key:\tvalue" lines, as written by an exec'd `cat /proc/self/status`.
  std::map<std::string, std::string> status;
  std::string raw;

  bool exited_ok() const { return WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0; }
  bool killed_by(int sig) const { return WIFSIGNALED(wait_status) && WTERMSIG(wait_status) == sig; }
  std::string value(const std::string& key) const {
    auto it = values.find(key);
    return it == values.end() ? "<missing " + key + ">" : it->second;
  }
  std::string describe() const {
    std::ostringstream out;
    if (WIFEXITED(wait_status)) out << "child exited " << WEXITSTATUS(wait_status);
    if (WIFSIGNALED(wait_status)) out << "child killed by signal " << WTERMSIG(wait_status);
    out << "; output:\n" << raw;
    return out.str();
  }
};

inline constexpr std::chrono::seconds kChildTimeout{30};

inline void report(int fd, std::string_view key, const std::string& value) {
  std::string line = std::string(key) + "=" + value + "\n";
  std::string_view rest = line;
  while (!rest.empty()) {
    ssize_t n = ::write(fd, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
}

// A field of the caller's /proc/self/status ("CapEff" -> "0000000000000021").
inline std::string status_field(const std::string& name) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(name + ":")) {
      std::string v = line.substr(name.size() + 1);
      auto start = v.find_first_not_of(" \t");
      auto end = v.find_last_not_of(" \t");
      return start == std::string::npos ? "" : v.substr(start, end - start + 1);
    }
  }
  return "<no " + name + ">";
}

// Runs `body(report_fd)` in a child that exits 0 when body returns. An exception is reported
// as error=<what> (and errno=<code> for a SysError) with exit status 1.
inline ChildOutcome run_in_child(const std::function<void(int)>& body) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe2", "");
  UniqueFd r(fds[0]), w(fds[1]);
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork", "");
  if (pid == 0) {
    r.reset();
    int code = 0;
    try {
      body(w.get());
    } catch (const SysError& e) {
      report(w.get(), "error", e.what());
      report(w.get(), "errno", std::to_string(e.code()));
      code = 1;
    } catch (const std::exception& e) {
      report(w.get(), "error", e.what());
      code = 1;
    }
    // _exit: no atexit handlers, gtest teardown or leak checks in the child.
    ::_exit(code);
  }
  w.reset();
  ChildOutcome out;
  // A child stuck under a filter that denies what it needs must not hang the suite.
  auto deadline = std::chrono::steady_clock::now() + kChildTimeout;
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{r.get(), POLLIN, 0};
    int ready = left.count() > 0 ? ::poll(&p, 1, static_cast<int>(left.count())) : 0;
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      ::kill(pid, SIGKILL);
      out.raw += "<child timed out and was killed>\n";
      break;
    }
    ssize_t n = ::read(r.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.raw.append(buf, static_cast<std::size_t>(n));
  }
  while (::waitpid(pid, &out.wait_status, 0) < 0 && errno == EINTR) {
  }
  std::istringstream lines(out.raw);
  std::string line;
  while (std::getline(lines, line)) {
    if (auto colon = line.find(":\t"); colon != std::string::npos) {
      std::string v = line.substr(colon + 2);
      while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.pop_back();
      out.status[line.substr(0, colon)] = v;
    } else if (auto eq = line.find('='); eq != std::string::npos) {
      out.values[line.substr(0, eq)] = line.substr(eq + 1);
    }
  }
  return out;
}

}  // namespace skiff::runtime::security::testing
