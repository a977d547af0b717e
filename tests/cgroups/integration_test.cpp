// Real cgroups, real processes. Runs as root on the host (v1 backend here) and inside the
// pure cgroup-v2 VM (scripts/vm/run.sh); the same assertions hold on both.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "cgroups/device_bpf.h"
#include "cgroups/manager.h"
#include "cgroups/self_move.h"
#include "cgroups/spawn.h"
#include "common/error.h"
#include "common/file_io.h"
#include "common/unique_fd.h"

namespace skiff::cgroups {
namespace {

using namespace std::chrono_literals;

std::string test_parent() {
  const char* p = std::getenv("SKIFF_TEST_CGROUP_PARENT");
  return p ? p : "";
}

struct Pipe {
  UniqueFd r, w;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe2", "");
    r.reset(fds[0]);
    w.reset(fds[1]);
  }
};

// Reads what is available within `wait`.
std::string read_for(int fd, std::chrono::milliseconds wait) {
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return out;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return out;
    char buf[4096];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

std::string read_line(int fd, std::chrono::milliseconds wait) {
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + wait;
  while (out.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    out += read_for(fd, 100ms);
  }
  return out;
}

int wait_status(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

void reap_all() {
  while (::waitpid(-1, nullptr, WNOHANG) > 0) {
  }
}

class CgroupIntegration : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Orphans of killed process trees come back to us, so nothing outlives the test.
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  }
  void SetUp() override {
    name_ = "skiff-it-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }
  void TearDown() override {
    if (cg_) {
      cg_->kill_all();
      cg_->remove();
      for (const auto& p : cg_->paths()) EXPECT_FALSE(std::filesystem::exists(p)) << p;
    }
    reap_all();
  }
  Cgroup& make(const Resources& r) {
    cg_ = manager_.create(name_, r);
    return *cg_;
  }
  pid_t spawn(const std::vector<std::string>& args, int out_fd = -1) {
    std::vector<std::string> argv = {SKIFF_PROBE};
    argv.insert(argv.end(), args.begin(), args.end());
    return spawn_in(*cg_, argv, {.stdout_fd = out_fd}).pid;
  }

  Manager manager_ = Manager::for_host({.parent = test_parent()});
  std::string name_;
  std::unique_ptr<Cgroup> cg_;
};

TEST(Host, PicksTheBackendTheMountsCallFor) {
  // Independent of the library's mountinfo parsing: ask statfs what /sys/fs/cgroup is.
  struct statfs st {};
  ASSERT_EQ(::statfs("/sys/fs/cgroup", &st), 0);
  Backend expected = Backend::V1;
  if (st.f_type == CGROUP2_SUPER_MAGIC) {
    expected = Backend::V2;
  } else if (std::filesystem::exists("/sys/fs/cgroup/unified/cgroup.controllers")) {
    std::string c = read_file("/sys/fs/cgroup/unified/cgroup.controllers");
    if (c.find("cpu") != std::string::npos && c.find("memory") != std::string::npos) {
      expected = Backend::V2;
    }
  }
  Manager m = Manager::for_host();
  EXPECT_EQ(m.backend(), expected);
  if (const char* want = std::getenv("SKIFF_EXPECT_BACKEND")) {
    EXPECT_EQ(std::string(to_string(m.backend())), want);
  }
  std::printf("backend: %s, mode: %s\n", to_string(m.backend()).data(),
              to_string(m.layout().mode()).data());
}

TEST_F(CgroupIntegration, ProcessOverItsMemoryLimitIsOomKilledAndReported) {
  Cgroup& cg = make({.memory_limit = 32 << 20});
  auto monitor = cg.watch_oom();
  pid_t pid = spawn({"alloc", "256"});
  int status = wait_status(pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "probe exited " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  pollfd p{monitor->fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 5000), 1) << "no OOM notification on the monitor's fd";
  EXPECT_GE(monitor->wait_for_kill(0, 5s), 1u);
  Stats s = cg.stats();
  EXPECT_GE(s.oom_kill_events, 1u);
  EXPECT_EQ(s.memory_limit, std::uint64_t{32} << 20);
  ASSERT_TRUE(s.memory_peak);
  EXPECT_GT(*s.memory_peak, std::uint64_t{16} << 20);
}

TEST_F(CgroupIntegration, BusyLoopUnderAFifthOfACpuIsThrottled) {
  Cgroup& cg = make({.cpu_quota_us = 20000, .cpu_period_us = 100000});
  auto start = std::chrono::steady_clock::now();
  pid_t pid = spawn({"spin", "1.2"});
  ASSERT_TRUE(WIFEXITED(wait_status(pid)));
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  Stats s = cg.stats();
  double share = static_cast<double>(s.cpu_usage_usec) / 1e6 / wall;
  std::printf("cpu share %.3f over %.2f s, throttled %llu/%llu periods\n", share, wall,
              static_cast<unsigned long long>(s.cpu_nr_throttled),
              static_cast<unsigned long long>(s.cpu_nr_periods));
  EXPECT_GT(s.cpu_nr_throttled, 0u);
  EXPECT_LE(share, 0.30);
  EXPECT_GE(share, 0.10);
}

TEST_F(CgroupIntegration, ForkBeyondPidsMaxFails) {
  make({.pids_limit = 5});
  Pipe out;
  pid_t pid = spawn({"fork", "20"}, out.w.get());
  out.w.reset();
  std::string line = read_line(out.r.get(), 10s);
  wait_status(pid);
  long forked = -1;
  int err = -1;
  ASSERT_EQ(std::sscanf(line.c_str(), "forked %ld errno %d", &forked, &err), 2) << line;
  EXPECT_EQ(forked, 4);  // the probe itself is the fifth
  EXPECT_EQ(err, EAGAIN);
}

TEST_F(CgroupIntegration, FreezeStopsProgressAndThawResumesIt) {
  Cgroup& cg = make({});
  Pipe out;
  spawn({"tick"}, out.w.get());
  out.w.reset();
  ASSERT_FALSE(read_for(out.r.get(), 200ms).empty()) << "probe never ticked";
  cg.freeze();
  EXPECT_EQ(cg.freezer_state(), FreezerState::Frozen);
  read_for(out.r.get(), 50ms);  // ticks written before the freeze landed
  EXPECT_EQ(read_for(out.r.get(), 400ms), "") << "a frozen process made progress";
  cg.thaw();
  EXPECT_EQ(cg.freezer_state(), FreezerState::Thawed);
  EXPECT_FALSE(read_for(out.r.get(), 1000ms).empty()) << "no progress after thaw";
}

TEST_F(CgroupIntegration, KillAllLeavesNoProcessBehind) {
  Cgroup& cg = make({});
  Pipe out;
  spawn({"tree", "5"}, out.w.get());
  out.w.reset();
  ASSERT_NE(read_line(out.r.get(), 5s).find("ready"), std::string::npos);
  auto before = cg.pids();
  EXPECT_EQ(before.size(), 6u);
  cg.kill_all();
  EXPECT_TRUE(cg.pids().empty());
  reap_all();
  for (pid_t p : before) EXPECT_NE(::kill(p, 0), 0) << "pid " << p << " survived";
}

TEST_F(CgroupIntegration, RemoveLeavesNoDirectoryBehind) {
  Cgroup& cg = make({.pids_limit = 100});
  // A populated sub-cgroup: removal covers the whole subtree. (On v2 the processes must sit
  // in the leaf; a cgroup with children holds none.)
  auto child = manager_.create(name_ + "/child");
  Pipe out;
  spawn_in(*child, {SKIFF_PROBE, "tree", "2"}, {.stdout_fd = out.w.get()});
  out.w.reset();
  ASSERT_NE(read_line(out.r.get(), 5s).find("ready"), std::string::npos);
  EXPECT_EQ(cg.pids().size(), 3u);
  auto paths = cg.paths();
  cg.kill_all();
  cg.remove();
  for (const auto& p : paths) EXPECT_FALSE(std::filesystem::exists(p)) << p;
  cg_.reset();
}

TEST_F(CgroupIntegration, FailedCreateLeavesNothingBehind) {
  // The kernel refuses a CPU that does not exist.
  EXPECT_THROW(manager_.create(name_ + "/inner", {.cpuset_cpus = "999"}), Error);
  for (const auto& p : {manager_.cgroup_path(name_, "")}) (void)p;
  EXPECT_THROW(manager_.open(name_), SysError) << "a directory was left behind";
}

TEST_F(CgroupIntegration, CpusetIsInheritedAndApplied) {
  make({.cpuset_cpus = "0"});
  Pipe out;
  pid_t pid = spawn({"tick"}, out.w.get());
  std::string status = read_file("/proc/" + std::to_string(pid) + "/status");
  EXPECT_NE(status.find("Cpus_allowed_list:\t0\n"), std::string::npos) << status;
}

TEST_F(CgroupIntegration, ChildStartsInsideTheCgroup) {
  Cgroup& cg = make({});
  std::vector<std::string> argv = {SKIFF_PROBE, "tick"};
  Pipe out;
  Spawned s = spawn_in(cg, argv, {.stdout_fd = out.w.get()});
  EXPECT_EQ(s.path,
            cg.backend() == Backend::V2 ? SpawnPath::CloneIntoCgroup : SpawnPath::ForkThenSelfMove);
  auto pids = cg.pids();
  EXPECT_NE(std::find(pids.begin(), pids.end(), s.pid), pids.end());
}

// The move a child makes itself (cgroups/self_move.h): the fds are opened first, so a
// cgroup removed in between fails the move, and the error names the file that refused it.
TEST_F(CgroupIntegration, SelfMoveIntoARemovedCgroupNamesTheFile) {
  Cgroup& cg = make({});
  SelfMove move(cg);
  cg.remove();
  Pipe result;
  pid_t pid = ::fork();
  if (pid == 0) {
    int err = move.apply();
    int report[2] = {err, move.failed()};
    (void)!::write(result.w.get(), report, sizeof report);
    ::_exit(0);
  }
  result.w.reset();
  int report[2] = {0, -1};
  ASSERT_EQ(::read(result.r.get(), report, sizeof report), static_cast<ssize_t>(sizeof report));
  wait_status(pid);
  EXPECT_NE(report[0], 0);
  ASSERT_EQ(report[1], 0);
  std::string file = cg.backend() == Backend::V1 ? "tasks" : "cgroup.procs";
  EXPECT_EQ(move.path(report[1]), cg.paths().front() / file);
}

// The device policy bites on both versions (v1 devices.deny/allow, v2 the BPF program), and
// a new list replaces the old one. The second run is the control: the same open succeeds
// once the rules allow it, so the first run's denial is the policy's doing.
TEST_F(CgroupIntegration, DeviceRulesDecideWhichNodesOpen) {
  Cgroup& cg = make({});
  auto opens = [&] {
    Pipe out;
    const std::string script =
        "for d in null zero; do if true < /dev/$d; then echo $d:open; else echo $d:denied; fi; "
        "done 2>/dev/null";
    pid_t pid = spawn_in(cg, {"/bin/sh", "-c", script}, {.stdout_fd = out.w.get()}).pid;
    out.w.reset();
    std::string text = read_for(out.r.get(), 10s);
    wait_status(pid);
    return text;
  };
  cg.apply_device_rules({{false, 'a', -1, -1, "rwm"}, {true, 'c', 1, 3, "rwm"}});
  EXPECT_EQ(opens(), "null:open\nzero:denied\n");
  cg.apply_device_rules({{true, 'a', -1, -1, "rwm"}});
  EXPECT_EQ(opens(), "null:open\nzero:open\n");
  if (cg.backend() == Backend::V2) {
    // Replaced, not stacked: one program of ours on the cgroup.
    EXPECT_EQ(attached_device_programs(cg.paths().front()).size(), 1u);
  }
}

TEST_F(CgroupIntegration, ExecFailureIsReportedWithThePath) {
  make({});
  try {
    spawn_in(*cg_, {"/nonexistent/skiff-binary"});
    FAIL() << "expected an error";
  } catch (const SysError& e) {
    EXPECT_EQ(e.code(), ENOENT);
    EXPECT_EQ(e.path(), "/nonexistent/skiff-binary");
  }
}

// systemd's Delegate=yes contract on v2: a process alone in its cgroup creates children
// there by first moving itself into a leaf. On v1 there is no such rule, and cgroups nest
// beneath the caller's place in each hierarchy.
TEST_F(CgroupIntegration, DelegatedCallerKeepsToItsSubtree) {
  Cgroup& outer = make({});
  std::string root_control;
  if (outer.backend() == Backend::V2) {
    root_control = read_file(manager_.layout().unified->mountpoint / "cgroup.subtree_control");
  }
  Pipe go;
  pid_t pid = ::fork();
  if (pid == 0) {
    go.w.reset();  // or the read below never sees EOF
    char c;
    (void)!::read(go.r.get(), &c, 1);
    try {
      auto inner = Manager::for_host().create("inner", {.memory_limit = 16 << 20});
      ::_exit(0);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "child: %s\n", e.what());
      ::_exit(1);
    }
  }
  outer.add_process(pid);
  go.w.reset();
  int status = wait_status(pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  auto inner = manager_.open(name_ + "/inner");
  EXPECT_EQ(inner->stats().memory_limit, std::uint64_t{16} << 20);
  if (outer.backend() == Backend::V2) {
    auto dir = outer.paths().front();
    EXPECT_TRUE(std::filesystem::exists(dir / "supervisor"));
    EXPECT_EQ(trim(read_file(dir / "cgroup.procs")), "") << "no internal processes";
    EXPECT_EQ(read_file(manager_.layout().unified->mountpoint / "cgroup.subtree_control"),
              root_control);
  }
}

}  // namespace
}  // namespace skiff::cgroups
