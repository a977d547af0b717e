// Helpers that need no privileges: names for messages, validation that fails before any
// change, and no_new_privs (which any process may set; done in a child since it sticks).
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <cerrno>

#include "child.h"
#include "common/error.h"
#include "runtime/security/capabilities.h"
#include "runtime/security/no_new_privs.h"
#include "runtime/security/rlimits.h"

namespace skiff::runtime::security {
namespace {

using testing::report;
using testing::run_in_child;
using testing::status_field;

TEST(SecurityNames, CapabilityNames) {
  EXPECT_EQ(capability_name(CAP_CHOWN), "CAP_CHOWN");
  EXPECT_EQ(capability_name(CAP_NET_BIND_SERVICE), "CAP_NET_BIND_SERVICE");
  EXPECT_EQ(capability_name(CAP_SYS_ADMIN), "CAP_SYS_ADMIN");
  EXPECT_EQ(capability_name(9999), "capability 9999");
  EXPECT_EQ(capability_name(-1), "capability -1");
}

TEST(SecurityNames, RlimitNames) {
  EXPECT_EQ(rlimit_name(RLIMIT_NOFILE), "RLIMIT_NOFILE");
  EXPECT_EQ(rlimit_name(RLIMIT_CORE), "RLIMIT_CORE");
  EXPECT_EQ(rlimit_name(RLIMIT_RTTIME), "RLIMIT_RTTIME");
  EXPECT_EQ(rlimit_name(4242), "rlimit 4242");
}

TEST(Rlimits, SoftAboveHardFailsNamingTheResource) {
  // The kernel refuses soft > hard before changing anything, so this is safe in-process.
  try {
    apply_rlimits({{RLIMIT_NOFILE, 64, 32}});
    FAIL() << "no error";
  } catch (const SysError& e) {
    EXPECT_EQ(e.code(), EINVAL);
    std::string what = e.what();
    EXPECT_NE(what.find("setrlimit RLIMIT_NOFILE soft 64 hard 32"), std::string::npos) << what;
    EXPECT_NE(what.find("soft is above hard"), std::string::npos) << what;
  }
}

TEST(NoNewPrivs, SetNoNewPrivsSticks) {
  if (no_new_privs_set()) GTEST_SKIP() << "the test runner already has no_new_privs set";
  auto out = run_in_child([](int fd) {
    report(fd, "before", std::to_string(::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0)));
    report(fd, "before_fn", no_new_privs_set() ? "1" : "0");
    set_no_new_privs();
    report(fd, "after", std::to_string(::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0)));
    report(fd, "after_fn", no_new_privs_set() ? "1" : "0");
    report(fd, "status", status_field("NoNewPrivs"));
  });
  ASSERT_TRUE(out.exited_ok()) << out.describe();
  EXPECT_EQ(out.value("before"), "0");
  EXPECT_EQ(out.value("before_fn"), "0");
  EXPECT_EQ(out.value("after"), "1");
  EXPECT_EQ(out.value("after_fn"), "1");
  EXPECT_EQ(out.value("status"), "1");
}

}  // namespace
}  // namespace skiff::runtime::security
