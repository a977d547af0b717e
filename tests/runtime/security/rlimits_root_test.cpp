// setrlimit on the calling process, in fork()ed children so the runner keeps its limits.
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/resource.h>

#include <cerrno>
#include <fstream>

#include "child.h"
#include "runtime/security/capabilities.h"
#include "runtime/security/rlimits.h"

namespace skiff::runtime::security {
namespace {

using testing::report;
using testing::run_in_child;

std::string limits(int resource) {
  rlimit r{};
  if (::getrlimit(resource, &r) != 0) return "error";
  return std::to_string(r.rlim_cur) + "/" + std::to_string(r.rlim_max);
}

TEST(Rlimits, SetsNofileAndCore) {
  auto out = run_in_child([](int fd) {
    apply_rlimits({{RLIMIT_NOFILE, 512, 512}, {RLIMIT_CORE, 0, 0}});
    report(fd, "nofile", limits(RLIMIT_NOFILE));
    report(fd, "core", limits(RLIMIT_CORE));
  });
  ASSERT_TRUE(out.exited_ok()) << out.describe();
  EXPECT_EQ(out.value("nofile"), "512/512");
  EXPECT_EQ(out.value("core"), "0/0");
}

TEST(Rlimits, RaisingTheHardLimitWithoutCapSysResourceNamesTheLimit) {
  auto out = run_in_child([](int fd) {
    apply_rlimits({{RLIMIT_NOFILE, 512, 512}});
    // Root may hold CAP_SYS_RESOURCE (not on this project's CI host); drop it to be sure.
    std::ifstream last_file("/proc/sys/kernel/cap_last_cap");
    int last = CAP_LAST_CAP;
    last_file >> last;
    oci::Capabilities caps;
    for (int cap = 0; cap <= last; ++cap) {
      if (cap != CAP_SYS_RESOURCE) caps.permitted.push_back(cap);
    }
    caps.bounding = caps.effective = caps.permitted;
    apply_user_and_capabilities(oci::User{}, caps);
    report(fd, "dropped", "1");
    apply_rlimits({{RLIMIT_CORE, 0, 0}, {RLIMIT_NOFILE, 512, 1024}});
  });
  EXPECT_FALSE(out.exited_ok());
  ASSERT_EQ(out.value("dropped"), "1") << out.describe();
  EXPECT_EQ(out.value("errno"), std::to_string(EPERM)) << out.describe();
  std::string what = out.value("error");
  EXPECT_NE(what.find("setrlimit RLIMIT_NOFILE soft 512 hard 1024"), std::string::npos) << what;
  EXPECT_NE(what.find("current soft 512 hard 512"), std::string::npos) << what;
  EXPECT_NE(what.find("CAP_SYS_RESOURCE"), std::string::npos) << what;
}

TEST(Rlimits, UnlimitedIsRlimInfinity) {
  auto out = run_in_child([](int fd) {
    apply_rlimits({{RLIMIT_CORE, UINT64_MAX, UINT64_MAX}, {RLIMIT_CORE, 0, UINT64_MAX}});
    rlimit r{};
    ::getrlimit(RLIMIT_CORE, &r);
    report(fd, "soft", std::to_string(r.rlim_cur));
    report(fd, "hard_infinite", r.rlim_max == RLIM_INFINITY ? "1" : "0");
  });
  // Raising RLIMIT_CORE's hard limit to unlimited needs CAP_SYS_RESOURCE unless it is
  // already unlimited; either way the error must name the limit.
  if (!out.exited_ok()) {
    EXPECT_NE(out.value("error").find("RLIMIT_CORE soft unlimited hard unlimited"),
              std::string::npos)
        << out.describe();
    return;
  }
  EXPECT_EQ(out.value("soft"), "0");
  EXPECT_EQ(out.value("hard_infinite"), "1");
}

}  // namespace
}  // namespace skiff::runtime::security
