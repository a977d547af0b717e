#include "cgroups/layout.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "fake_tree.h"

namespace skiff::cgroups {
namespace {

// The CI host: v1 controllers, each in its own hierarchy, plus cgroup2 with only hugetlb.
constexpr const char* kHybridMountinfo =
    "24 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
    "30 24 0:26 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "31 30 0:27 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "32 30 0:28 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "33 30 0:29 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "34 30 0:30 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "35 30 0:31 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
    "36 30 0:32 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

constexpr const char* kUnifiedMountinfo =
    "24 1 254:0 / / rw - ext4 /dev/vda rw\n"
    "30 24 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n";

constexpr const char* kLegacyMountinfo =
    "31 30 0:27 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
    "33 30 0:29 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n";

TEST(Layout, HybridHostWithHugetlbOnlyUnifiedUsesV1) {
  Layout l = parse_mountinfo(kHybridMountinfo);
  l.unified_controllers = {"hugetlb"};
  EXPECT_EQ(l.mode(), Mode::Hybrid);
  EXPECT_EQ(l.backend(), Backend::V1);
  ASSERT_TRUE(l.unified);
  EXPECT_EQ(l.unified->mountpoint, "/sys/fs/cgroup/unified");
  EXPECT_EQ(l.v1.at("cpuacct").mountpoint, "/sys/fs/cgroup/cpuacct");
  EXPECT_TRUE(l.v1.contains("name=systemd"));
  EXPECT_FALSE(l.v1.contains("xattr"));
}

TEST(Layout, HybridHostWithCpuAndMemoryOnUnifiedUsesV2) {
  Layout l = parse_mountinfo(kHybridMountinfo);
  l.unified_controllers = {"cpu", "memory", "pids"};
  EXPECT_EQ(l.backend(), Backend::V2);
}

TEST(Layout, PureUnifiedHost) {
  Layout l = parse_mountinfo(kUnifiedMountinfo);
  l.unified_controllers = {"cpu", "memory", "pids", "io", "cpuset"};
  EXPECT_EQ(l.mode(), Mode::Unified);
  EXPECT_EQ(l.backend(), Backend::V2);
}

TEST(Layout, LegacyHostWithCoMountedControllers) {
  Layout l = parse_mountinfo(kLegacyMountinfo);
  EXPECT_EQ(l.mode(), Mode::Legacy);
  EXPECT_EQ(l.backend(), Backend::V1);
  EXPECT_EQ(l.v1.at("cpu").mountpoint, l.v1.at("cpuacct").mountpoint);
}

TEST(Layout, NoUsableHierarchyIsAClearError) {
  Layout l = parse_mountinfo("36 30 0:32 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n");
  l.unified_controllers = {"hugetlb"};
  try {
    (void)l.backend();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cpu and memory"), std::string::npos) << e.what();
  }
}

TEST(Layout, MountpointsWithSpacesAreUnescaped) {
  Layout l = parse_mountinfo("30 24 0:26 / /tmp/a\\040b rw - cgroup2 cgroup2 rw\n");
  ASSERT_TRUE(l.unified);
  EXPECT_EQ(l.unified->mountpoint, "/tmp/a b");
}

TEST(Layout, DetectReadsUnifiedControllersFromTheTree) {
  testing::FakeTree tree;
  tree.seed("cgroup.controllers", "cpuset cpu io memory pids\n");
  tree.seed("mountinfo", "30 24 0:26 / " + tree.root().string() + " rw - cgroup2 cgroup2 rw\n");
  Layout l = detect_layout(tree / "mountinfo");
  EXPECT_EQ(l.backend(), Backend::V2);
  EXPECT_TRUE(l.unified_controllers.contains("io"));
}

TEST(SelfCgroup, ParsesV1AndUnifiedLines) {
  SelfCgroup s = parse_proc_cgroup(
      "9:name=systemd:/\n4:memory:/process_api/abc\n2:cpu,cpuacct:/x:y\n0::/init.scope\n");
  EXPECT_EQ(s.unified, "/init.scope");
  EXPECT_EQ(s.v1.at("memory"), "/process_api/abc");
  EXPECT_EQ(s.v1.at("cpu"), "/x:y");
  EXPECT_EQ(s.v1.at("cpuacct"), "/x:y");
}

TEST(Resolve, MapsCgroupPathsUnderTheMount) {
  Mount m{"/sys/fs/cgroup/memory", "/"};
  EXPECT_EQ(resolve(m, "/"), "/sys/fs/cgroup/memory");
  EXPECT_EQ(resolve(m, "/a/b"), "/sys/fs/cgroup/memory/a/b");
}

TEST(Resolve, HonoursANonRootMountRoot) {
  Mount m{"/sys/fs/cgroup", "/kubepods/pod1"};
  EXPECT_EQ(resolve(m, "/kubepods/pod1/ctr"), "/sys/fs/cgroup/ctr");
  EXPECT_THROW(resolve(m, "/kubepods/pod10"), Error);
  EXPECT_THROW(resolve(m, "/other"), Error);
}

}  // namespace
}  // namespace skiff::cgroups
