#include "test_network.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace skiff::test {
namespace {

std::string join(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

std::string pid_tag() {
  return std::to_string(::getpid());
}

// A bridge "skbr<PID>" left by a test process that died without cleaning up.
void remove_stale(const std::string& bridge) {
  if (!bridge.starts_with("skbr")) return;
  const auto pid = std::atoi(bridge.c_str() + 4);
  if (pid <= 0 || ::kill(pid, 0) == 0) return;  // its owner still runs: not ours to touch
  run_command({"ip", "link", "del", bridge});
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/run/netns", ec)) {
    const auto name = e.path().filename().string();
    if (name.starts_with("skiff-conn-" + std::to_string(pid) + "-")) {
      run_command({"ip", "netns", "del", name});
    }
  }
}

}  // namespace

int run_command(const std::vector<std::string>& argv, std::string* output) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return -1;
  posix_spawn_file_actions_t fa;
  ::posix_spawn_file_actions_init(&fa);
  ::posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
  ::posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
  ::posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  std::vector<std::string> args = argv;
  std::vector<char*> cargv;
  for (auto& a : args) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, cargv[0], &fa, nullptr, cargv.data(), environ);
  ::posix_spawn_file_actions_destroy(&fa);
  ::close(pipefd[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(pipefd[0]);
  if (output) *output = out;
  if (rc != 0) {
    if (output) *output = "spawn failed: " + std::string(std::strerror(rc));
    return -1;
  }
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string must_run(const std::vector<std::string>& argv) {
  std::string out;
  const int rc = run_command(argv, &out);
  if (rc != 0) {
    throw std::runtime_error("`" + join(argv) + "` failed (exit " + std::to_string(rc) +
                             "): " + out);
  }
  return out;
}

TestNetwork::TestNetwork(int namespaces) : bridge_("skbr" + pid_tag()) {
  // 10.199.0.0/24 must be ours alone, or routes to it would be ambiguous.
  std::istringstream existing(must_run({"ip", "-o", "-4", "addr", "show", "to", "10.199.0.0/24"}));
  for (std::string line; std::getline(existing, line);) {
    std::istringstream fields(line);
    std::string index, dev;
    fields >> index >> dev;
    remove_stale(dev);
  }
  const auto still = must_run({"ip", "-o", "-4", "addr", "show", "to", "10.199.0.0/24"});
  if (!still.empty()) {
    throw std::runtime_error("10.199.0.0/24 is already in use on this host: " + still);
  }
  try {
    must_run({"ip", "link", "add", bridge_, "type", "bridge"});
    bridge_created_ = true;
    must_run({"ip", "addr", "add", std::string(kHostAddress) + "/24", "dev", bridge_});
    must_run({"ip", "link", "set", bridge_, "up"});
    for (int i = 0; i < namespaces; ++i) add_link(i);
  } catch (...) {
    remove_all();
    throw;
  }
}

TestNetwork::~TestNetwork() {
  remove_all();
}

void TestNetwork::add_link(int i) {
  const auto n = std::to_string(i);
  Link l{"skiff-conn-" + pid_tag() + "-" + n, "skh" + pid_tag() + "-" + n,
         "skn" + pid_tag() + "-" + n, "10.199.0." + std::to_string(i + 2)};
  must_run({"ip", "netns", "add", l.netns});
  links_.push_back(l);  // from here on the destructor removes it
  must_run({"ip", "link", "add", l.host_end, "type", "veth", "peer", "name", l.ns_end, "netns",
            l.netns});
  must_run({"ip", "link", "set", l.host_end, "master", bridge_});
  must_run({"ip", "link", "set", l.host_end, "up"});
  must_run({"ip", "-n", l.netns, "addr", "add", l.address + "/24", "dev", l.ns_end});
  must_run({"ip", "-n", l.netns, "link", "set", l.ns_end, "up"});
  must_run({"ip", "-n", l.netns, "link", "set", "lo", "up"});
}

void TestNetwork::cut(int i) {
  must_run({"ip", "link", "set", host_end(i), "down"});
}

void TestNetwork::restore(int i) {
  must_run({"ip", "link", "set", host_end(i), "up"});
}

void TestNetwork::remove_all() noexcept {
  std::string out;
  for (auto it = links_.rbegin(); it != links_.rend(); ++it) {
    // Deleting one end of a veth pair deletes both; the namespace may outlive its name
    // while processes (a failed test's containers) still live in it.
    if (run_command({"ip", "link", "del", it->host_end}, &out) != 0 &&
        out.find("Cannot find device") == std::string::npos) {
      std::fprintf(stderr, "test network: ip link del %s: %s\n", it->host_end.c_str(), out.c_str());
    }
    if (run_command({"ip", "netns", "del", it->netns}, &out) != 0) {
      std::fprintf(stderr, "test network: ip netns del %s: %s\n", it->netns.c_str(), out.c_str());
    }
  }
  links_.clear();
  if (bridge_created_ && run_command({"ip", "link", "del", bridge_}, &out) != 0) {
    std::fprintf(stderr, "test network: ip link del %s: %s\n", bridge_.c_str(), out.c_str());
  }
  bridge_created_ = false;
}

}  // namespace skiff::test
