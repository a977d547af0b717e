// skiff-probe is the yardstick the runtime tests hold containers against, so its report
// must have a stable shape and tell the truth about the process that ran it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace {

using nlohmann::json;

struct Child {
  pid_t pid = -1;
  int out = -1;  // the child's stdout
};

Child start(const std::vector<std::string>& args) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return {};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(SKIFF_PROBE));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(SKIFF_PROBE, argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  return {pid, fds[0]};
}

// Reads until EOF, or until the output ends with `until` when that is given.
std::string read_output(int fd, const std::string& until = "") {
  std::string out;
  char buf[4096];
  for (;;) {
    if (!until.empty() && out.size() >= until.size() &&
        out.compare(out.size() - until.size(), until.size(), until) == 0) {
      break;
    }
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

int wait_status(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

TEST(ProbeReport, DescribesTheCallingProcess) {
  Child c = start({"report", "--check-path", "/proc/self", "--check-path", "/nonexistent",
                   "--check-path", "/dev/null", "--check-path", "/"});
  ASSERT_GT(c.pid, 0);
  std::string out = read_output(c.out);
  ::close(c.out);
  int status = wait_status(c.pid);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0) << out;

  json r = json::parse(out);
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(r["pid"], c.pid);
  EXPECT_EQ(r["ppid"], ::getpid());
  EXPECT_EQ(r["uid"], ::getuid());
  EXPECT_EQ(r["egid"], ::getegid());
  EXPECT_TRUE(r["groups"].is_array());
  EXPECT_EQ(r["umask"].get<std::string>().size(), 4u);
  EXPECT_EQ(r["argv"][1], "report");
  EXPECT_TRUE(r["env"].is_array());

  for (const char* ns : {"cgroup", "ipc", "mnt", "net", "pid", "user", "uts"}) {
    ASSERT_TRUE(r["namespaces"][ns].is_string()) << ns;
  }
  EXPECT_EQ(r["namespaces"]["pid"].get<std::string>().rfind("pid:[", 0), 0u);

  for (const char* cap : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}) {
    const json& v = r["capabilities"][cap];
    ASSERT_TRUE(v.is_string()) << cap;
    EXPECT_EQ(v.get<std::string>().size(), 16u) << cap;
    EXPECT_EQ(v.get<std::string>().find_first_not_of("0123456789abcdef"), std::string::npos);
  }
  EXPECT_TRUE(r["no_new_privs"].is_boolean());
  EXPECT_TRUE(r["seccomp"]["mode"].is_number_integer());

  const json& nofile = r["rlimits"]["RLIMIT_NOFILE"];
  EXPECT_TRUE(nofile["soft"].is_number() || nofile["soft"] == "unlimited");
  EXPECT_TRUE(r["rlimits"].contains("RLIMIT_STACK"));
  EXPECT_TRUE(r["oom_score_adj"].is_number_integer());

  ASSERT_TRUE(r["mounts"].is_array());
  bool saw_proc = false;
  for (const auto& m : r["mounts"]) {
    for (const char* key : {"mount_point", "fs_type", "source", "options", "propagation"}) {
      ASSERT_TRUE(m[key].is_string()) << key << " in " << m.dump();
    }
    if (m["mount_point"] == "/proc" && m["fs_type"] == "proc") saw_proc = true;
  }
  EXPECT_TRUE(saw_proc);
  EXPECT_TRUE(r["cgroup"].is_array());
  EXPECT_TRUE(r["cgroup_limits"].is_object());

  const json& paths = r["paths"];
  EXPECT_EQ(paths["/nonexistent"]["exists"], false);
  EXPECT_EQ(paths["/proc/self"]["exists"], true);
  EXPECT_EQ(paths["/proc/self"]["type"], "link");
  EXPECT_EQ(paths["/proc/self"]["readable"], true);
  EXPECT_EQ(paths["/dev/null"]["type"], "char");
  EXPECT_EQ(paths["/dev/null"]["rdev"], "1:3");
  EXPECT_EQ(paths["/dev/null"]["content_empty"], true);
  EXPECT_EQ(paths["/"]["type"], "dir");
  EXPECT_EQ(paths["/"]["mode"].get<std::string>().size(), 4u);

  ASSERT_EQ(r["stdio_tty"].size(), 3u);
  EXPECT_EQ(r["stdio_tty"][1], false);  // stdout is our pipe
  EXPECT_TRUE(r["sysctl"].is_object());
}

TEST(ProbeReport, RejectsUnknownArguments) {
  Child c = start({"report", "--bogus"});
  ASSERT_GT(c.pid, 0);
  read_output(c.out);
  ::close(c.out);
  int status = wait_status(c.pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
}

TEST(ProbeExit, ReturnsTheGivenCode) {
  Child c = start({"exit", "7"});
  ASSERT_GT(c.pid, 0);
  ::close(c.out);
  int status = wait_status(c.pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 7);
}

TEST(ProbeTrapTerm, ExitsWithTheGivenCodeOnSigterm) {
  Child c = start({"trap-term", "3"});
  ASSERT_GT(c.pid, 0);
  EXPECT_EQ(read_output(c.out, "waiting\n"), "waiting\n");
  ASSERT_EQ(::kill(c.pid, SIGTERM), 0);
  EXPECT_EQ(read_output(c.out), "got SIGTERM\n");
  ::close(c.out);
  int status = wait_status(c.pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3);
}

TEST(ProbeIgnoreTerm, OnlySigkillStopsIt) {
  Child c = start({"ignore-term"});
  ASSERT_GT(c.pid, 0);
  EXPECT_EQ(read_output(c.out, "waiting\n"), "waiting\n");
  ASSERT_EQ(::kill(c.pid, SIGTERM), 0);
  ::usleep(200 * 1000);
  int status = 0;
  EXPECT_EQ(::waitpid(c.pid, &status, WNOHANG), 0) << "exited on SIGTERM";
  ASSERT_EQ(::kill(c.pid, SIGKILL), 0);
  ::close(c.out);
  status = wait_status(c.pid);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

}  // namespace
