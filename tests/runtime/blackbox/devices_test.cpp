// The device policy through skiff-runtime, on the host (cgroup v1: devices.allow/deny) and
// in the pure cgroup-v2 VM (a BPF device program). Docker's default capabilities include
// CAP_MKNOD, so a container can make any node; only the policy stops it opening one.
// Every "denied" case has a control beside it where the rules allow the same node and the
// same open succeeds. The node is /dev/kmsg (c 1:11) opened write-only: harmless, since
// the open writes nothing and needs no capability.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "runtime_harness.h"

namespace skiff::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string unique_id(const char* base) {
  std::string id = std::string(base) + "-" + std::to_string(::getpid()) + "-" +
                   ::testing::UnitTest::GetInstance()->current_test_info()->name();
  std::replace(id.begin(), id.end(), '/', '-');
  return id;
}

// Makes the node and tries to open it; prints "opened" or the shell's error.
const char* kMakeAndOpen =
    "mknod /dev/skiff-kmsg c 1 11 || exit 9; if true > /dev/skiff-kmsg; then echo opened; fi";

CommandResult run_in(Bundle& b, const Runtime& rt, const char* id_base) {
  b.save();
  return rt({"run", "--bundle", b.dir().string(), unique_id(id_base)});
}

TEST(RuntimeDevices, ANodeOutsideTheAllowListDoesNotOpen) {
  Runtime rt;
  Bundle b({"/bin/sh", "-c", std::string(kMakeAndOpen) + " 2>&1"});
  auto r = run_in(b, rt, "devdeny");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;  // mknod itself is allowed ("c *:* m")
  EXPECT_EQ(r.out.find("opened"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Operation not permitted"), std::string::npos) << r.out;
}

TEST(RuntimeDevices, ControlTheSameOpenSucceedsWhenTheRulesAllowIt) {
  Runtime rt;
  Bundle b({"/bin/sh", "-c", std::string(kMakeAndOpen) + " 2>&1"});
  b.config()["linux"]["resources"]["devices"] = json::array(
      {{{"allow", true}, {"type", "c"}, {"major", 1}, {"minor", 11}, {"access", "rwm"}}});
  auto r = run_in(b, rt, "devallow");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "opened\n");
}

TEST(RuntimeDevices, ExecdProcessesAreUnderThePolicyAndUpdateReplacesIt) {
  Runtime rt;
  Bundle b({"/bin/skiff-probe", "sleep", "60"});
  b.save();
  const std::string id = unique_id("devupdate");
  ASSERT_EQ(rt({"run", "--detach", "--bundle", b.dir().string(), id}).exit_code, 0);
  auto before = rt({"exec", id, "sh", "-c", std::string(kMakeAndOpen) + " 2>&1"});
  EXPECT_EQ(before.out.find("opened"), std::string::npos) << before.out;
  EXPECT_NE(before.out.find("Operation not permitted"), std::string::npos) << before.out;

  fs::path file = b.dir() / "resources.json";
  std::ofstream(file) << R"({"devices": [{"allow": true, "type": "c", "major": 1, "minor": 11,
                                          "access": "rw"}]})";
  auto upd = rt({"update", "--resources", file.string(), id});
  ASSERT_EQ(upd.exit_code, 0) << upd.err;
  auto after = rt({"exec", id, "sh", "-c", "if true > /dev/skiff-kmsg; then echo opened; fi 2>&1"});
  EXPECT_EQ(after.out, "opened\n") << after.err;

  // And back: the grant is gone again once a list without it replaces it.
  std::ofstream(file, std::ios::trunc) << R"({"devices": []})";
  ASSERT_EQ(rt({"update", "--resources", file.string(), id}).exit_code, 0);
  auto again = rt({"exec", id, "sh", "-c", "if true > /dev/skiff-kmsg; then echo opened; fi 2>&1"});
  EXPECT_EQ(again.out.find("opened"), std::string::npos) << again.out;
  EXPECT_EQ(rt({"delete", "--force", id}).exit_code, 0);
}

}  // namespace
}  // namespace skiff::testing
