// The whole sequence apply_process_security() runs before execve, with and without
// no_new_privileges: the filter must end up loaded either way, NNP only when asked.
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "child.h"
#include "runtime/security/process_security.h"

namespace skiff::runtime::security {
namespace {

using testing::report;
using testing::run_in_child;
using testing::status_field;

oci::Process unprivileged_process(bool no_new_privileges) {
  oci::Process p;
  p.user = oci::User{1000, 1000, std::nullopt, {}};
  oci::Capabilities caps;
  caps.bounding = caps.effective = caps.permitted = {CAP_KILL};
  p.capabilities = caps;
  p.rlimits = {{RLIMIT_NOFILE, 256, 256}};
  p.no_new_privileges = no_new_privileges;
  return p;
}

SeccompFilter deny_mkdir() {
  oci::Seccomp profile;
  oci::SeccompRule r;
  r.names = {"mkdir", "mkdirat"};
  r.action = oci::SeccompAction::Errno;
  r.errno_ret = EROFS;
  profile.syscalls = {r};
  return SeccompFilter::compile(profile);
}

testing::ChildOutcome run(const oci::Process& process, SeccompFilter& filter) {
  return run_in_child([&](int fd) {
    if (apply_process_security(process, &filter)) filter.load();
    report(fd, "uid", std::to_string(::getuid()));
    report(fd, "mkdir_errno",
           ::mkdir("/tmp/skiff-process-security-test", 0700) == 0 ? "0" : std::to_string(errno));
    for (const char* field : {"Seccomp", "NoNewPrivs", "CapEff"}) {
      report(fd, field, status_field(field));
    }
  });
}

TEST(ProcessSecurity, WithoutNnpTheFilterLoadsBeforeCapabilitiesAreDropped) {
  SeccompFilter filter = deny_mkdir();
  auto out = run(unprivileged_process(false), filter);
  ASSERT_TRUE(out.exited_ok()) << out.describe();
  EXPECT_EQ(out.value("uid"), "1000");
  EXPECT_EQ(out.value("Seccomp"), "2");
  EXPECT_EQ(out.value("NoNewPrivs"), "0");
  EXPECT_EQ(out.value("mkdir_errno"), std::to_string(EROFS));
  EXPECT_EQ(out.value("CapEff"), "0000000000000020");  // CAP_KILL
}

TEST(ProcessSecurity, WithNnpTheFilterLoadsLast) {
  SeccompFilter filter = deny_mkdir();
  auto out = run(unprivileged_process(true), filter);
  ASSERT_TRUE(out.exited_ok()) << out.describe();
  EXPECT_EQ(out.value("uid"), "1000");
  EXPECT_EQ(out.value("Seccomp"), "2");
  EXPECT_EQ(out.value("NoNewPrivs"), "1");
  EXPECT_EQ(out.value("mkdir_errno"), std::to_string(EROFS));
}

TEST(ProcessSecurity, WithoutAFilterNothingIsLoaded) {
  auto out = run_in_child([](int fd) {
    EXPECT_FALSE(apply_process_security(unprivileged_process(false), nullptr));
    report(fd, "Seccomp", status_field("Seccomp"));
    report(fd, "NoNewPrivs", status_field("NoNewPrivs"));
  });
  ASSERT_TRUE(out.exited_ok()) << out.describe();
  EXPECT_EQ(out.value("Seccomp"), "0");
  EXPECT_EQ(out.value("NoNewPrivs"), "0");
}

}  // namespace
}  // namespace skiff::runtime::security
