// skiff-shim over the real skiff-runtime (root): busybox bundles from the runtime harness,
// launched through the agent's client library exactly as the agent does.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "agent/shim/log_sink.h"
#include "agent/shim/shim_client.h"
#include "common/error.h"
#include "runtime_harness.h"

namespace fs = std::filesystem;
using namespace skiff::agent;
using skiff::testing::Bundle;
using skiff::testing::Runtime;

namespace {

// Polls `done` until it holds or `seconds` pass (a wait, never a timing assert).
bool wait_until(const std::function<bool()>& done, int seconds = 30) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

std::string slurp(const fs::path& file) {
  std::ifstream in(file);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct ProcInfo {
  pid_t pid;
  pid_t ppid;
  char state;
  std::string comm;
};

std::vector<ProcInfo> processes() {
  std::vector<ProcInfo> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string text = slurp(e.path() / "stat");
    auto open = text.find('('), close = text.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close + 4 > text.size()) {
      continue;
    }
    ProcInfo p{std::stoi(name), 0, text[close + 2], text.substr(open + 1, close - open - 1)};
    p.ppid = std::atoi(text.c_str() + close + 4);
    out.push_back(p);
  }
  return out;
}

// A process that is gone or only a zombie waiting for whoever adopted it.
bool exited(pid_t pid) {
  std::string text = slurp("/proc/" + std::to_string(pid) + "/stat");
  auto close = text.rfind(')');
  return close == std::string::npos || close + 2 >= text.size() || text[close + 2] == 'Z';
}

// Every skiff-shim process (not zombie) whose command line names container `id`.
std::vector<pid_t> shims_for(const std::string& id) {
  std::vector<pid_t> found;
  for (const auto& p : processes()) {
    if (p.state == 'Z' || p.comm != "skiff-shim") continue;
    std::string cmd = slurp("/proc/" + std::to_string(p.pid) + "/cmdline");
    if (cmd.find(std::string("--id") + '\0' + id + '\0') != std::string::npos) {
      found.push_back(p.pid);
    }
  }
  return found;
}

struct LogLine {
  std::string stream, tag, text;
};

std::vector<LogLine> read_log(const fs::path& file) {
  static const std::regex re(
      R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (stdout|stderr) ([FP]) (.*)$)");
  std::vector<LogLine> out;
  std::ifstream in(file);
  for (std::string l; std::getline(in, l);) {
    std::smatch m;
    if (!std::regex_match(l, m, re)) {
      ADD_FAILURE() << file << ": not a CRI line: " << l.substr(0, 200);
      continue;
    }
    out.push_back({m[1], m[2], m[3]});
  }
  return out;
}

class ShimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string t = "/run/skiff-shim-test-XXXXXX";
    ASSERT_NE(::mkdtemp(t.data()), nullptr);
    work_ = t;
  }

  void TearDown() override {
    for (const auto& id : ids_) rt_({"delete", "--force", id});
    for (const auto& id : ids_) {
      // The shim exits once its container is gone; one that does not is killed (ours).
      if (!wait_until([&] { return shims_for(id).empty(); }, 15)) {
        ADD_FAILURE() << "shim for " << id << " outlived its container";
        for (pid_t p : shims_for(id)) ::kill(p, SIGKILL);
      }
    }
    std::error_code ec;
    fs::remove_all(work_, ec);
  }

  // A bundle whose process runs `args`; without a pid namespace if asked.
  std::unique_ptr<Bundle> bundle(const std::vector<std::string>& args, bool pid_ns = true) {
    auto b = std::make_unique<Bundle>(args);
    auto& ns = b->config()["linux"]["namespaces"];
    if (!pid_ns) {
      nlohmann::json kept = nlohmann::json::array();
      for (const auto& n : ns) {
        if (n["type"] != "pid") kept.push_back(n);
      }
      ns = kept;
    }
    if (const char* parent = std::getenv("SKIFF_TEST_CGROUP_PARENT")) {
      b->config()["linux"]["cgroupsPath"] =
          std::string(parent) + "/skiff-shim-test/" + std::to_string(ids_.size());
    }
    b->save();
    return b;
  }

  ShimConfig config(const std::string& id, const Bundle& b) {
    ids_.push_back(id);
    ShimConfig c;
    c.id = id;
    c.bundle = b.dir();
    c.state_dir = work_ / "state" / id;
    c.runtime = SKIFF_RUNTIME;
    c.runtime_root = rt_.root();
    c.log_path = work_ / (id + ".log");
    c.shim_binary = SKIFF_SHIM;
    return c;
  }

  void start(const std::string& id) {
    auto r = rt_({"start", id});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  std::optional<ExitStatus> wait_exit(const ShimConfig& c, int seconds = 30) {
    std::optional<ExitStatus> s;
    wait_until([&] { return (s = read_exit_status(c.state_dir)).has_value(); }, seconds);
    return s;
  }

  Runtime rt_;
  fs::path work_;
  std::vector<std::string> ids_;
};

TEST_F(ShimTest, StdoutAndStderrLandInTheLogAsCriLines) {
  auto b = bundle({"/bin/sh", "-c", "echo out one; echo err one >&2; echo out two; printf tail"});
  auto c = config("logs", *b);
  auto started = launch_shim(c);
  EXPECT_GT(started.container_pid, 0);
  EXPECT_GT(started.shim_pid, 0);
  start(c.id);
  auto status = wait_exit(c);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->exit_code, 0);

  auto lines = read_log(c.log_path);
  std::vector<std::string> out, err;
  for (const auto& l : lines) {
    (l.stream == "stdout" ? out : err).push_back(l.tag + " " + l.text);
  }
  EXPECT_EQ(out, (std::vector<std::string>{"F out one", "F out two", "P tail"}));
  EXPECT_EQ(err, (std::vector<std::string>{"F err one"}));
}

TEST_F(ShimTest, LongLinesAreSplitIntoPartialRecordsThatJoinBack) {
  auto b = bundle({"/bin/sh", "-c", "head -c 20000 /dev/zero | tr '\\0' a; echo; echo next"});
  auto c = config("longline", *b);
  launch_shim(c);
  start(c.id);
  ASSERT_TRUE(wait_exit(c));
  auto lines = read_log(c.log_path);
  std::string joined;
  std::size_t records = 0;
  bool complete = false;
  for (const auto& l : lines) {
    if (complete) {
      EXPECT_EQ(l.tag + l.text, "Fnext");
      break;
    }
    ++records;
    EXPECT_LE(l.text.size(), kChunkSize);
    joined += l.text;
    complete = l.tag == "F";
  }
  EXPECT_TRUE(complete);
  EXPECT_GE(records, 3u);  // 20000 bytes cannot fit in two 8 KiB records
  EXPECT_EQ(joined, std::string(20000, 'a'));
}

// With `run --detach` the container writes while the runtime is still running. That output
// was held in a 2 KiB capture and the rest dropped (the escape battery lost its last probes
// under ASan, where the runtime is slow to exit). A runtime that lingers a second after the
// start makes the window certain, and 340 KB overflows the capture into the pipe; every
// line must reach the log, in order.
TEST_F(ShimTest, OutputWrittenBeforeTheRuntimeExitsIsKeptWhole) {
  const fs::path slow = work_ / "slow-runtime";
  {
    std::ofstream f(slow);
    f << "#!/bin/sh\n" << SKIFF_RUNTIME << " \"$@\"\nrc=$?\nsleep 1\nexit $rc\n";
  }
  fs::permissions(slow, fs::perms::owner_all);
  auto b = bundle({"/bin/sh", "-c", "seq 1 60000; echo done >&2"});
  auto c = config("early", *b);
  c.runtime = slow;
  c.start = true;
  launch_shim(c);
  auto status = wait_exit(c);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->exit_code, 0);
  std::vector<std::string> out;
  std::string err;
  for (const auto& l : read_log(c.log_path)) {
    if (l.stream == "stdout") {
      EXPECT_EQ(l.tag, "F") << l.text;
      out.push_back(l.text);
    } else {
      err += l.tag + " " + l.text;
    }
  }
  ASSERT_EQ(out.size(), 60000U);
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] != std::to_string(i + 1)) {
      ADD_FAILURE() << "line " << i + 1 << " is \"" << out[i] << "\"";
      break;
    }
  }
  EXPECT_EQ(err, "F done");
}

TEST_F(ShimTest, RotationAtTheSizeCapKeepsMaxFiles) {
  auto b =
      bundle({"/bin/sh", "-c", "i=0; while [ $i -lt 3000 ]; do echo line $i; i=$((i+1)); done"});
  auto c = config("rotate", *b);
  c.log_max_size = 8192;
  c.log_max_files = 3;
  launch_shim(c);
  start(c.id);
  ASSERT_TRUE(wait_exit(c));
  for (const auto& f :
       {c.log_path, fs::path(c.log_path.string() + ".1"), fs::path(c.log_path.string() + ".2")}) {
    ASSERT_TRUE(fs::exists(f)) << f;
    EXPECT_LE(fs::file_size(f), c.log_max_size) << f;
  }
  EXPECT_FALSE(fs::exists(c.log_path.string() + ".3"));
  // Oldest to newest, the kept lines are the last ones written, in order and none lost
  // (a line may be cut into P..F records, even across a rotation: join them back).
  std::vector<std::string> kept;
  std::string pending;
  for (const auto& f :
       {fs::path(c.log_path.string() + ".2"), fs::path(c.log_path.string() + ".1"), c.log_path}) {
    for (const auto& l : read_log(f)) {
      pending += l.text;
      if (l.tag == "F") kept.push_back(std::exchange(pending, ""));
    }
  }
  EXPECT_EQ(pending, "");
  ASSERT_GT(kept.size(), 100u);
  for (std::size_t i = 0; i < kept.size(); ++i) {
    ASSERT_EQ(kept[i], "line " + std::to_string(3000 - kept.size() + i)) << i;
  }
}

TEST_F(ShimTest, ExitCodeIsRecorded) {
  auto b = bundle({"/bin/skiff-probe", "exit", "3"});
  auto c = config("exit3", *b);
  auto started = launch_shim(c);
  start(c.id);
  auto status = wait_exit(c);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->exit_code, 3);
  EXPECT_EQ(status->signal, 0);
  EXPECT_EQ(status->pid, started.container_pid);
  EXPECT_TRUE(
      std::regex_match(status->exited_at, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z)")))
      << status->exited_at;
  // The shim leaves the container for the agent to delete, and then exits itself.
  EXPECT_EQ(rt_({"state", c.id}).exit_code, 0);
  EXPECT_TRUE(wait_until([&] { return exited(started.shim_pid); }));
}

TEST_F(ShimTest, ARelaunchInTheSameStateDirForgetsTheLastExit) {
  auto b = bundle({"/bin/skiff-probe", "exit", "7"});
  auto c = config("again", *b);
  launch_shim(c);
  start(c.id);
  ASSERT_TRUE(wait_exit(c));
  ASSERT_EQ(rt_({"delete", c.id}).exit_code, 0);
  b->config()["process"]["args"] = {"/bin/skiff-probe", "sleep"};
  b->save();
  launch_shim(c);
  EXPECT_FALSE(read_exit_status(c.state_dir).has_value());
}

TEST_F(ShimTest, KillSignalIsRecorded) {
  auto b = bundle({"/bin/skiff-probe", "sleep"});
  auto c = config("killed", *b);
  launch_shim(c);
  start(c.id);
  auto r = rt_({"kill", c.id, "KILL"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto status = wait_exit(c);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->signal, 9);
  EXPECT_EQ(status->exit_code, 137);
}

TEST_F(ShimTest, ShimOutlivesItsLauncher) {
  auto b =
      bundle({"/bin/sh", "-c", "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done"});
  auto c = config("outlive", *b);
  // The launcher is a child process that launches the shim and then dies by SIGKILL.
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  pid_t launcher = ::fork();
  ASSERT_GE(launcher, 0);
  if (launcher == 0) {
    ::close(p[0]);
    try {
      auto s = launch_shim(c);
      (void)!::write(p[1], &s, sizeof s);
    } catch (...) {
    }
    ::raise(SIGKILL);
  }
  ::close(p[1]);
  ShimStarted s{};
  ASSERT_EQ(::read(p[0], &s, sizeof s), static_cast<ssize_t>(sizeof s));
  ::close(p[0]);
  int wstatus = 0;
  ASSERT_EQ(::waitpid(launcher, &wstatus, 0), launcher);
  ASSERT_TRUE(WIFSIGNALED(wstatus));

  start(c.id);
  // A fresh process finds the shim from its state dir alone.
  pid_t checker = ::fork();
  ASSERT_GE(checker, 0);
  if (checker == 0) {
    auto info = read_shim_info(c.state_dir);
    bool ok = info && info->shim_pid == s.shim_pid && info->container_pid == s.container_pid &&
              shim_alive(*info);
    ::_exit(ok ? 0 : 1);
  }
  ASSERT_EQ(::waitpid(checker, &wstatus, 0), checker);
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) << "read_shim_info/shim_alive";
  // Output still reaches the log after the launcher is gone.
  auto ticks = [&] { return read_log(c.log_path).size(); };
  ASSERT_TRUE(wait_until([&] { return ticks() >= 5; }));
  std::size_t seen = ticks();
  EXPECT_TRUE(wait_until([&] { return ticks() > seen; }));
  EXPECT_FALSE(exited(s.container_pid));

  auto r = rt_({"kill", c.id, "KILL"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(wait_exit(c));
  ASSERT_TRUE(wait_until([&] { return exited(s.shim_pid); }));
  auto info = read_shim_info(c.state_dir);
  ASSERT_TRUE(info);
  EXPECT_FALSE(shim_alive(*info));
}

TEST_F(ShimTest, CreateFailureThrowsTheRuntimeMessageAndLeavesNothing) {
  auto b = bundle({"/bin/skiff-probe", "sleep"});
  b->config()["root"]["path"] = "/nonexistent-rootfs-for-shim-test";
  b->save();
  auto c = config("badbundle", *b);
  auto direct = rt_({"create", "--bundle", b->dir().string(), "probe-direct"});
  ASSERT_NE(direct.exit_code, 0);
  std::string runtime_message = direct.err.substr(0, direct.err.find('\n'));
  // "skiff-runtime: <message>": the part after the program name must reach the caller.
  std::string tail = runtime_message.substr(runtime_message.find(": ") + 2);
  ASSERT_FALSE(tail.empty()) << direct.err;
  try {
    launch_shim(c);
    FAIL() << "launch_shim did not throw";
  } catch (const skiff::Error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find(tail), std::string::npos) << what << "\nruntime said: " << direct.err;
  }
  EXPECT_TRUE(shims_for(c.id).empty());
  EXPECT_FALSE(fs::exists(c.state_dir));
  EXPECT_FALSE(fs::exists(c.log_path));
  EXPECT_NE(rt_({"state", c.id}).exit_code, 0);
}

TEST_F(ShimTest, OrphansOfAContainerWithoutPidNamespaceAreReaped) {
  // The inner shell backgrounds a sleep and exits: the sleep is orphaned, and with no pid
  // namespace of its own it is re-parented to the shim, the subreaper.
  auto b = bundle(
      {"/bin/sh", "-c", "sh -c '/bin/skiff-probe sleep 2 &'; exec /bin/skiff-probe sleep"}, false);
  auto c = config("orphans", *b);
  auto s = launch_shim(c);
  start(c.id);
  auto adopted = [&] {
    std::vector<pid_t> kids;
    for (const auto& p : processes()) {
      if (p.ppid == s.shim_pid && p.pid != s.container_pid) kids.push_back(p.pid);
    }
    return kids;
  };
  ASSERT_TRUE(wait_until([&] { return !adopted().empty(); }))
      << "the orphan never reached the shim";
  // Once the orphan's sleep ends the shim must reap it: nothing but the init is left.
  EXPECT_TRUE(wait_until([&] { return adopted().empty(); }))
      << "the shim left " << adopted().size() << " children (zombies?)";
  EXPECT_FALSE(exited(s.container_pid));
  EXPECT_FALSE(exited(s.shim_pid));
}

TEST_F(ShimTest, AProcessHoldingThePipesDoesNotKeepTheShimAlive) {
  // The init exits at once while a background sleep (no pid namespace, so it survives)
  // keeps the stdout/stderr pipes open.
  auto b = bundle({"/bin/sh", "-c", "/bin/skiff-probe sleep 300 & echo holder $!; exit 0"}, false);
  auto c = config("holder", *b);
  c.drain_timeout_ms = 500;
  auto s = launch_shim(c);
  start(c.id);
  auto status = wait_exit(c);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->exit_code, 0);
  EXPECT_TRUE(wait_until([&] { return exited(s.shim_pid); })) << "the shim is still running";
  // Clean up the holder (its pid is a host pid: no pid namespace).
  pid_t holder = 0;
  for (const auto& l : read_log(c.log_path)) {
    if (l.text.rfind("holder ", 0) == 0) holder = std::stoi(l.text.substr(7));
  }
  ASSERT_GT(holder, 0);
  EXPECT_FALSE(exited(holder)) << "the test needs the holder alive while the shim exits";
  ::kill(holder, SIGKILL);
}

TEST_F(ShimTest, LogDriverNoneDrainsAndDrops) {
  auto b = bundle({"/bin/sh", "-c", "head -c 300000 /dev/zero; exit 4"});
  auto c = config("nolog", *b);
  c.log_driver = "none";
  launch_shim(c);
  start(c.id);
  auto status = wait_exit(c);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->exit_code, 4);  // 300 kB through a 64 KiB pipe: drained, not blocked
  EXPECT_FALSE(fs::exists(c.log_path));
}

TEST_F(ShimTest, LogDriverJournaldLoadsLibsystemdAndRuns) {
  auto b = bundle({"/bin/sh", "-c", "echo to the journal; exit 5"});
  auto c = config("journal", *b);
  c.log_driver = "journald";
  c.name = "journal-test";
  launch_shim(c);
  start(c.id);
  auto status = wait_exit(c);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->exit_code, 5);
  EXPECT_FALSE(fs::exists(c.log_path));
}

}  // namespace
