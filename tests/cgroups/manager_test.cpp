// Placement and rollback rules of Manager, on fake trees (no root needed). What only the
// kernel can show (EBUSY from "no internal processes", cpuset inheritance) is covered by
// the root integration tests on both backends.
#include "cgroups/manager.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "fake_tree.h"

namespace skiff::cgroups {
namespace {

using testing::FakeTree;

class V2ManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tree_.seed_all("", {{"cgroup.controllers", "cpu io memory pids"},
                        {"cgroup.subtree_control", "cpu memory pids"}});
    tree_.seed_all("svc", {{"cgroup.controllers", "cpu memory pids"},
                           {"cgroup.subtree_control", ""},
                           {"cgroup.procs", ""}});
  }
  Manager manager(std::string self, ManagerOptions o = {}) {
    Layout layout;
    layout.unified = Mount{tree_.root(), "/"};
    layout.unified_controllers = {"cpu", "memory", "pids"};
    SelfCgroup s;
    s.unified = std::move(self);
    return Manager(layout, s, o);
  }
  FakeTree tree_;
};

TEST_F(V2ManagerTest, CreatesBeneathTheCallersOwnCgroup) {
  auto cg = manager("/svc").create("ctr");
  EXPECT_EQ(cg->paths(), std::vector<std::filesystem::path>{tree_ / "svc/ctr"});
  EXPECT_TRUE(std::filesystem::is_directory(tree_ / "svc/ctr"));
  // Controllers were handed down from our own cgroup to the child.
  EXPECT_EQ(tree_.read("svc/cgroup.subtree_control").substr(0, 1), "+");
}

TEST_F(V2ManagerTest, NeverWritesTheRootsSubtreeControl) {
  manager("/").create("ctr");
  EXPECT_TRUE(std::filesystem::is_directory(tree_ / "ctr"));
  EXPECT_EQ(tree_.read("cgroup.subtree_control"), "cpu memory pids");
}

TEST_F(V2ManagerTest, ACallerAlreadyInItsLeafPlacesCgroupsBesideIt) {
  auto m = manager("/svc/supervisor");
  EXPECT_EQ(m.cgroup_path("ctr"), "/svc/ctr");
}

TEST_F(V2ManagerTest, AbsoluteNamesStartAtTheHierarchyRoot) {
  auto m = manager("/svc");
  EXPECT_EQ(m.cgroup_path("/libpod_parent/ctr"), "/libpod_parent/ctr");
  EXPECT_EQ(manager("/svc", {.parent = "/skiff"}).cgroup_path("t1/web"), "/skiff/t1/web");
  EXPECT_EQ(manager("/svc", {.parent = "tasks"}).cgroup_path("t1"), "/svc/tasks/t1");
}

TEST_F(V2ManagerTest, FailedApplyLeavesNothingBehind) {
  // The fake child has no memory.max: the same error a host without the controller gives.
  try {
    manager("/svc").create("ctr", {.memory_limit = 1 << 20});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("controller memory is not available in " +
                                         (tree_ / "svc/ctr").string()),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(tree_ / "svc/ctr"));
  EXPECT_TRUE(std::filesystem::exists(tree_ / "svc"));
}

TEST_F(V2ManagerTest, AnExistingCgroupIsNotAdopted) {
  tree_.seed("svc/ctr/cgroup.procs", "77");
  try {
    manager("/svc").create("ctr");
    FAIL();
  } catch (const SysError& e) {
    EXPECT_EQ(e.code(), EEXIST);
    EXPECT_EQ(e.path(), (tree_ / "svc/ctr").string());
  }
  EXPECT_EQ(tree_.read("svc/ctr/cgroup.procs"), "77");
}

TEST_F(V2ManagerTest, CreateOrJoinUsesAnExistingCgroupAndAppliesLimits) {
  // An OCI cgroupsPath naming a cgroup that exists: joined, as runc and crun do.
  tree_.seed_all("svc/ctr", {{"cgroup.procs", "77"}, {"pids.max", "max"}});
  auto joined = manager("/svc").create_or_join("ctr", {.pids_limit = 5});
  EXPECT_TRUE(joined.existed);
  EXPECT_EQ(joined.cgroup->paths(), std::vector<std::filesystem::path>{tree_ / "svc/ctr"});
  EXPECT_EQ(tree_.read("svc/ctr/pids.max"), "5");
  EXPECT_EQ(tree_.read("svc/ctr/cgroup.procs"), "77");
  // Its parent hands controllers down, as for a cgroup we make.
  EXPECT_EQ(tree_.read("svc/cgroup.subtree_control").substr(0, 1), "+");
  auto made = manager("/svc").create_or_join("fresh");
  EXPECT_FALSE(made.existed);
  EXPECT_TRUE(std::filesystem::is_directory(tree_ / "svc/fresh"));
}

TEST_F(V2ManagerTest, OpenFindsExistingAndNamesMissing) {
  tree_.seed("svc/ctr/cgroup.procs", "");
  EXPECT_EQ(manager("/svc").open("ctr")->paths().front(), tree_ / "svc/ctr");
  EXPECT_THROW(manager("/svc").open("nope"), SysError);
}

TEST(ValidateName, RejectsWalksAndEmptyNames) {
  EXPECT_EQ(validate_name("a//b/"), "a/b");
  EXPECT_EQ(validate_name("/a/b"), "/a/b");
  EXPECT_THROW(validate_name(""), Error);
  EXPECT_THROW(validate_name("/"), Error);
  EXPECT_THROW(validate_name("a/../../etc"), Error);
  EXPECT_THROW(validate_name("./a"), Error);
}

class V1ManagerTest : public ::testing::Test {
 protected:
  Manager manager() {
    Layout layout;
    for (const char* c : {"cpu", "memory", "pids"}) {
      layout.v1[c] = Mount{tree_ / c, "/"};
      std::filesystem::create_directories(tree_ / c);
    }
    std::filesystem::create_directories(tree_ / "memory/process_api/x");
    SelfCgroup self;
    self.v1 = {{"cpu", "/"}, {"memory", "/process_api/x"}, {"pids", "/"}};
    return Manager(layout, self, {});
  }
  FakeTree tree_;
};

TEST_F(V1ManagerTest, CreatesInEveryHierarchyBeneathOurOwnPlaceInIt) {
  auto cg = manager().create("ctr");
  auto paths = cg->paths();
  EXPECT_EQ(paths.size(), 3u);
  EXPECT_TRUE(std::filesystem::is_directory(tree_ / "cpu/ctr"));
  EXPECT_TRUE(std::filesystem::is_directory(tree_ / "memory/process_api/x/ctr"));
  EXPECT_TRUE(std::filesystem::is_directory(tree_ / "pids/ctr"));
}

TEST_F(V1ManagerTest, FailedApplyRemovesEveryHierarchysDirectory) {
  EXPECT_THROW(manager().create("a/b", {.pids_limit = 3}), Error);
  EXPECT_FALSE(std::filesystem::exists(tree_ / "cpu/a"));
  EXPECT_FALSE(std::filesystem::exists(tree_ / "memory/process_api/x/a"));
  EXPECT_FALSE(std::filesystem::exists(tree_ / "pids/a"));
}

TEST_F(V1ManagerTest, AnExistingCgroupInAnyHierarchyIsNotAdopted) {
  std::filesystem::create_directories(tree_ / "pids/ctr");
  EXPECT_THROW(manager().create("ctr"), SysError);
  EXPECT_FALSE(std::filesystem::exists(tree_ / "cpu/ctr"));
}

TEST_F(V1ManagerTest, CreateOrJoinJoinsExistingHierarchiesAndFillsTheRest) {
  std::filesystem::create_directories(tree_ / "pids/ctr");
  auto joined = manager().create_or_join("ctr");
  EXPECT_TRUE(joined.existed);
  EXPECT_EQ(joined.cgroup->paths().size(), 3u);
  EXPECT_TRUE(std::filesystem::is_directory(tree_ / "cpu/ctr"));
  EXPECT_TRUE(std::filesystem::is_directory(tree_ / "memory/process_api/x/ctr"));
}

}  // namespace
}  // namespace skiff::cgroups
