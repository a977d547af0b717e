// One suite, run against both backends: the same requests must land in each backend's
// own files. Only the table of "which file holds what" differs per backend.
#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "cgroups/v1_cgroup.h"
#include "cgroups/v2_cgroup.h"
#include "common/error.h"
#include "fake_tree.h"

namespace skiff::cgroups {
namespace {

using testing::FakeTree;

struct BackendCase {
  const char* label;
  std::function<void(const FakeTree&)> seed;
  std::function<std::unique_ptr<Cgroup>(const FakeTree&)> open;
  std::map<std::string, std::string> expected_files;  // after applying kAllLimits
  std::string memory_limit_file;                      // removed to simulate no controller
  std::vector<std::string> procs_files;
};

const Resources kAllLimits = {
    .cpu_shares = 512,
    .cpu_quota_us = 20000,
    .cpu_period_us = 100000,
    .cpuset_cpus = "0",
    .cpuset_mems = "0",
    .memory_limit = 64 << 20,
    .memory_reservation = 32 << 20,
    .memory_swap = 96 << 20,
    .pids_limit = 10,
    .io_weight = 500,
};

BackendCase v2_case() {
  return {
      "v2",
      [](const FakeTree& t) {
        t.seed_all("ctr", {{"cgroup.procs", ""},
                           {"cpu.weight", "100"},
                           {"cpu.max", "max 100000"},
                           {"cpuset.cpus", ""},
                           {"cpuset.mems", ""},
                           {"memory.max", "max"},
                           {"memory.low", "0"},
                           {"memory.swap.max", "max"},
                           {"pids.max", "max"},
                           {"io.weight", "default 100"},
                           {"cpu.stat",
                            "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n"
                            "nr_periods 40\nnr_throttled 7\nthrottled_usec 9000\n"},
                           {"memory.current", "4096"},
                           {"memory.peak", "8192"},
                           {"memory.events", "low 0\nhigh 0\nmax 3\noom 2\noom_kill 1\n"},
                           {"pids.current", "3"}});
      },
      [](const FakeTree& t) { return std::make_unique<V2Cgroup>(t / "ctr"); },
      {{"ctr/cpu.weight", "59"},
       {"ctr/cpu.max", "20000 100000"},
       {"ctr/cpuset.cpus", "0"},
       {"ctr/memory.max", "67108864"},
       {"ctr/memory.low", "33554432"},
       {"ctr/memory.swap.max", "33554432"},
       {"ctr/pids.max", "10"},
       {"ctr/io.weight", "default 4950"}},
      "ctr/memory.max",
      {"ctr/cgroup.procs"},
  };
}

BackendCase v1_case() {
  return {
      "v1",
      [](const FakeTree& t) {
        t.seed_all("cpu/ctr",
                   {{"cgroup.procs", ""},
                    {"cpu.shares", "1024"},
                    {"cpu.cfs_period_us", "100000"},
                    {"cpu.cfs_quota_us", "-1"},
                    {"cpu.stat", "nr_periods 40\nnr_throttled 7\nthrottled_time 9000000\n"}});
        t.seed_all("cpuacct/ctr", {{"cgroup.procs", ""},
                                   {"cpuacct.usage", "1500000"},
                                   {"cpuacct.stat", "user 100\nsystem 50\n"}});
        t.seed_all("memory/ctr",
                   {{"cgroup.procs", ""},
                    {"memory.limit_in_bytes", "9223372036854771712"},
                    {"memory.soft_limit_in_bytes", "9223372036854771712"},
                    {"memory.memsw.limit_in_bytes", "9223372036854771712"},
                    {"memory.usage_in_bytes", "4096"},
                    {"memory.max_usage_in_bytes", "8192"},
                    {"memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n"}});
        t.seed_all("pids/ctr", {{"cgroup.procs", ""}, {"pids.max", "max"}, {"pids.current", "3"}});
        t.seed_all("cpuset/ctr",
                   {{"cgroup.procs", ""}, {"cpuset.cpus", "0-1"}, {"cpuset.mems", "0"}});
        t.seed_all("blkio/ctr", {{"cgroup.procs", ""}, {"blkio.weight", "100"}});
      },
      [](const FakeTree& t) {
        std::map<std::string, std::filesystem::path> dirs;
        for (const char* c : {"cpu", "cpuacct", "memory", "pids", "cpuset", "blkio"}) {
          dirs[c] = t / (std::string(c) + "/ctr");
        }
        return std::make_unique<V1Cgroup>(dirs);
      },
      {{"cpu/ctr/cpu.shares", "512"},
       {"cpu/ctr/cpu.cfs_period_us", "100000"},
       {"cpu/ctr/cpu.cfs_quota_us", "20000"},
       {"cpuset/ctr/cpuset.cpus", "0"},
       {"memory/ctr/memory.limit_in_bytes", "67108864"},
       {"memory/ctr/memory.soft_limit_in_bytes", "33554432"},
       {"memory/ctr/memory.memsw.limit_in_bytes", "100663296"},
       {"pids/ctr/pids.max", "10"},
       {"blkio/ctr/blkio.weight", "500"}},
      "memory/ctr/memory.limit_in_bytes",
      {"cpu/ctr/cgroup.procs", "cpuacct/ctr/cgroup.procs", "memory/ctr/cgroup.procs",
       "pids/ctr/cgroup.procs", "cpuset/ctr/cgroup.procs", "blkio/ctr/cgroup.procs"},
  };
}

void PrintTo(const BackendCase& c, std::ostream* os) {
  *os << c.label;
}

class BackendTest : public ::testing::TestWithParam<BackendCase> {
 protected:
  void SetUp() override { GetParam().seed(tree_); }
  std::unique_ptr<Cgroup> cgroup() { return GetParam().open(tree_); }
  FakeTree tree_;
};

TEST_P(BackendTest, ApplyWritesEveryLimitToItsFile) {
  cgroup()->apply(kAllLimits);
  for (const auto& [file, value] : GetParam().expected_files) {
    EXPECT_EQ(tree_.read(file), value) << file;
  }
}

TEST_P(BackendTest, EmptyResourcesWriteNothing) {
  auto before = tree_.read(GetParam().memory_limit_file);
  cgroup()->apply({});
  EXPECT_EQ(tree_.read(GetParam().memory_limit_file), before);
}

TEST_P(BackendTest, MissingControllerIsNamedInTheError) {
  std::filesystem::remove(tree_ / GetParam().memory_limit_file);
  try {
    cgroup()->apply({.memory_limit = 1 << 20});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("controller memory is not available"), std::string::npos) << msg;
    EXPECT_NE(msg.find(tree_.root().string()), std::string::npos) << msg;
  }
}

TEST_P(BackendTest, StatsReadTheKernelCountersInCommonUnits) {
  Stats s = cgroup()->stats();
  EXPECT_EQ(s.cpu_usage_usec, 1500u);
  EXPECT_EQ(s.cpu_nr_periods, 40u);
  EXPECT_EQ(s.cpu_nr_throttled, 7u);
  EXPECT_EQ(s.cpu_throttled_usec, 9000u);
  EXPECT_EQ(s.memory_current, 4096u);
  EXPECT_EQ(s.memory_peak, 8192u);
  EXPECT_EQ(s.oom_kill_events, 1u);
  EXPECT_EQ(s.pids_current, 3u);
  EXPECT_EQ(s.pids_limit, kNoLimit);
}

TEST_P(BackendTest, AddProcessJoinsEveryHierarchy) {
  cgroup()->add_process(4242);
  for (const auto& f : GetParam().procs_files) EXPECT_EQ(tree_.read(f), "4242") << f;
}

TEST_P(BackendTest, UnlimitedValuesUseTheBackendsSpelling) {
  cgroup()->apply({.memory_limit = kUnlimited, .pids_limit = kUnlimited});
  std::string expected = GetParam().label == std::string("v2") ? "max" : "-1";
  EXPECT_EQ(tree_.read(GetParam().memory_limit_file), expected);
}

INSTANTIATE_TEST_SUITE_P(Backends, BackendTest, ::testing::Values(v2_case(), v1_case()),
                         [](const auto& param_info) {
                           return std::string(param_info.param.label);
                         });

TEST(V2Backend, SwapWithoutAMemoryLimitIsRefused) {
  FakeTree t;
  t.seed("ctr/memory.swap.max", "max");
  V2Cgroup cg(t / "ctr");
  EXPECT_THROW(cg.apply({.memory_swap = 1 << 20}), Error);
  EXPECT_EQ(t.read("ctr/memory.swap.max"), "max");
}

TEST(V1Backend, DeviceRulesGoToAllowAndDenyInOrder) {
  FakeTree t;
  t.seed_all("devices/ctr", {{"devices.allow", ""}, {"devices.deny", ""}});
  V1Cgroup cg({{"devices", t / "devices/ctr"}});
  cg.apply_device_rules({{false, 'a', -1, -1, "rwm"}, {true, 'c', 1, 3, "rwm"}});
  EXPECT_EQ(t.read("devices/ctr/devices.deny"), "a *:* rwm");
  EXPECT_EQ(t.read("devices/ctr/devices.allow"), "c 1:3 rwm");
}

TEST(V1Backend, NoDevicesHierarchyIsAnErrorNotAnOpenContainer) {
  FakeTree t;
  V1Cgroup cg({{"memory", t / "memory/ctr"}});
  try {
    cg.apply_device_rules({{false, 'a', -1, -1, "rwm"}});
    FAIL() << "a container without a device policy was allowed";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "controller devices is not mounted: the device policy cannot be enforced");
  }
}

// v2 enforces through a BPF program, which a fake tree cannot hold: the call must fail
// loudly (EPERM loading without root, EBADF attaching to a directory that is no cgroup),
// never report success. The real program is exercised in the v2 VM.
TEST(V2Backend, DeviceRulesNeedTheBpfProgramOrFail) {
  FakeTree t;
  t.seed("ctr/cgroup.procs", "");
  V2Cgroup cg(t / "ctr");
  try {
    cg.apply_device_rules({{false, 'a', -1, -1, "rwm"}});
    FAIL() << "device rules reported applied on a directory that is no cgroup";
  } catch (const SysError& e) {
    EXPECT_NE(std::string(e.what()).find("device program"), std::string::npos) << e.what();
  }
}

TEST(V1Backend, UnifiedSettingsNeedV2) {
  FakeTree t;
  V1Cgroup cg({{"memory", t / "memory/ctr"}});
  try {
    cg.apply({.unified = {{"memory.high", "1"}}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("memory.high"), std::string::npos);
  }
}

TEST(V1Backend, UnmountedControllerIsNamed) {
  FakeTree t;
  V1Cgroup cg({{"memory", t / "memory/ctr"}});
  try {
    cg.apply({.pids_limit = 5});
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "controller pids is not mounted (no cgroup v1 hierarchy for it)");
  }
}

}  // namespace
}  // namespace skiff::cgroups
