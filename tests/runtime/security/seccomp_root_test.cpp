// Loading real filters, each into a fork()ed child (a filter cannot be removed again).
// Root: without no_new_privs, seccomp_load needs CAP_SYS_ADMIN.
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <string_view>

#include "child.h"
#include "runtime/security/capabilities.h"
#include "runtime/security/no_new_privs.h"
#include "runtime/security/seccomp_filter.h"

namespace skiff::runtime::security {
namespace {

using oci::Seccomp;
using oci::SeccompAction;
using oci::SeccompOp;
using oci::SeccompRule;
using testing::report;
using testing::run_in_child;
using testing::status_field;

SeccompRule rule(std::vector<std::string> names, SeccompAction action) {
  SeccompRule r;
  r.names = std::move(names);
  r.action = action;
  return r;
}

std::string errno_after(int rc) {
  return rc == 0 ? "0" : std::to_string(errno);
}

TEST(SeccompLoad, ErrnoRuleDeniesMkdirOnly) {
  Seccomp p;  // default ALLOW
  SeccompRule deny = rule({"mkdir", "mkdirat"}, SeccompAction::Errno);
  deny.errno_ret = EACCES;
  p.syscalls = {deny};
  SeccompFilter filter = SeccompFilter::compile(p);
  std::string dir = "/tmp/skiff-seccomp-test-" + std::to_string(::getpid());

  auto out = run_in_child([&](int fd) {
    filter.load();
    report(fd, "mkdir_errno", errno_after(::mkdir(dir.c_str(), 0700)));
    report(fd, "getpid", std::to_string(::getpid()));
    report(fd, "seccomp", status_field("Seccomp"));
    report(fd, "nnp", status_field("NoNewPrivs"));
  });
  ASSERT_TRUE(out.exited_ok()) << out.describe();
  EXPECT_EQ(out.value("mkdir_errno"), std::to_string(EACCES));
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_NE(out.value("getpid"), "-1");
  EXPECT_EQ(out.value("seccomp"), "2");  // SECCOMP_MODE_FILTER
  // libseccomp would set NNP itself; compile() turns that off.
  EXPECT_EQ(out.value("nnp"), "0");
}

// The container init's path: the BPF generated early by prepare(), loaded later through
// seccomp(2) with the profile's flags.
TEST(SeccompLoad, PreparedProgramBehavesLikeSeccompLoad) {
  Seccomp p;
  SeccompRule deny = rule({"mkdir", "mkdirat"}, SeccompAction::Errno);
  deny.errno_ret = EACCES;
  p.syscalls = {deny};
  p.flags = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"};
  SeccompFilter prepared = SeccompFilter::compile(p);
  prepared.prepare();
  SeccompFilter moved = std::move(prepared);  // the program moves with the filter
  std::string dir = "/tmp/skiff-seccomp-prepared-" + std::to_string(::getpid());

  auto out = run_in_child([&](int fd) {
    moved.load();
    report(fd, "mkdir_errno", errno_after(::mkdir(dir.c_str(), 0700)));
    report(fd, "seccomp", status_field("Seccomp"));
    report(fd, "filters", status_field("Seccomp_filters"));
    report(fd, "nnp", status_field("NoNewPrivs"));
  });
  ASSERT_TRUE(out.exited_ok()) << out.describe();
  EXPECT_EQ(out.value("mkdir_errno"), std::to_string(EACCES));
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_EQ(out.value("seccomp"), "2");
  EXPECT_EQ(out.value("filters"), "1");
  EXPECT_EQ(out.value("nnp"), "0");
}

TEST(SeccompLoad, PreparedProgramWithoutCapSysAdminFailsWithEacces) {
  Seccomp p;
  p.syscalls = {rule({"mkdir"}, SeccompAction::Errno)};
  SeccompFilter filter = SeccompFilter::compile(p);
  filter.prepare();

  auto out = run_in_child([&](int fd) {
    oci::Capabilities caps;
    caps.bounding = caps.effective = caps.permitted = {CAP_CHOWN};
    apply_user_and_capabilities(oci::User{}, caps);
    filter.load();
    report(fd, "loaded", "1");
  });
  EXPECT_FALSE(out.exited_ok()) << out.describe();
  EXPECT_EQ(out.value("errno"), std::to_string(EACCES)) << out.describe();
  EXPECT_NE(out.value("error").find("CAP_SYS_ADMIN"), std::string::npos) << out.describe();
}

TEST(SeccompLoad, ArgumentRuleMatchesOnlyThatValue) {
  Seccomp p;
  SeccompRule r = rule({"personality"}, SeccompAction::Errno);  // EPERM by default
  r.args = {{0, 0xffffffff, 0, SeccompOp::Equal}};
  p.syscalls = {r};
  SeccompFilter filter = SeccompFilter::compile(p);

  auto out = run_in_child([&](int fd) {
    filter.load();
    int query = ::personality(0xffffffff);
    report(fd, "query", std::to_string(query));
    report(fd, "query_errno", query == -1 ? std::to_string(errno) : "0");
    int set = ::personality(PER_LINUX);
    report(fd, "set", std::to_string(set));
  });
  ASSERT_TRUE(out.exited_ok()) << out.describe();
  EXPECT_EQ(out.value("query"), "-1");
  EXPECT_EQ(out.value("query_errno"), std::to_string(EPERM));
  EXPECT_NE(out.value("set"), "-1");
}

TEST(SeccompLoad, KillProcessRuleKillsWithSigsys) {
  Seccomp p;
  p.syscalls = {rule({"getppid"}, SeccompAction::KillProcess)};
  SeccompFilter filter = SeccompFilter::compile(p);

  auto out = run_in_child([&](int fd) {
    rlimit no_core{0, 0};  // SIGSYS would dump core otherwise
    ::setrlimit(RLIMIT_CORE, &no_core);
    filter.load();
    report(fd, "loaded", "1");
    report(fd, "ppid", std::to_string(::getppid()));
  });
  EXPECT_TRUE(out.killed_by(SIGSYS)) << out.describe();
  EXPECT_EQ(out.value("loaded"), "1");
  EXPECT_EQ(out.values.count("ppid"), 0u) << out.describe();
}

// Appends "key=value\n" to `buf` without allocating: used after a filter that denies the
// syscalls an allocator (and ASan's runtime) would need.
char* put(char* pos, char* end, std::string_view key, long value) {
  for (char c : key) *pos++ = c;
  *pos++ = '=';
  pos = std::to_chars(pos, end, value).ptr;
  *pos++ = '\n';
  return pos;
}

TEST(SeccompLoad, DefaultErrnoWithAllowList) {
  // Default ERRNO(ENOSYS) with an allow list: what is not listed fails, listed calls work.
  Seccomp p;
  p.default_action = SeccompAction::Errno;
  p.default_errno_ret = ENOSYS;
  p.syscalls = {rule({"write", "exit", "exit_group", "getpid"}, SeccompAction::Allow)};
  SeccompFilter filter = SeccompFilter::compile(p);

  auto out = run_in_child([&](int fd) {
    char buf[128];
    char* end = buf + sizeof buf;
    filter.load();
    // Only raw syscalls from here on: no allocation, no libc wrappers that may do more.
    char* pos = put(buf, end, "getpid_ok", ::syscall(SYS_getpid) > 0 ? 1 : 0);
    long ppid = ::syscall(SYS_getppid);
    pos = put(pos, end, "getppid_errno", ppid == -1 ? errno : 0);
    pos = put(pos, end, "getuid_errno", ::syscall(SYS_getuid) == -1 ? errno : 0);
    ::syscall(SYS_write, fd, buf, pos - buf);
    ::syscall(SYS_exit_group, 0);
  });
  ASSERT_TRUE(out.exited_ok()) << out.describe();
  EXPECT_EQ(out.value("getpid_ok"), "1");
  EXPECT_EQ(out.value("getppid_errno"), std::to_string(ENOSYS));
  EXPECT_EQ(out.value("getuid_errno"), std::to_string(ENOSYS));
}

TEST(SeccompLoad, SyscallsNewerThanTheProfileGetEnosysOlderOnesTheDefault) {
  // runc's rule: above the newest syscall the profile names (pidfd_open, 434 on x86_64),
  // ENOSYS, so libc falls back (clone3 -> clone); below it, the default errno still holds.
  Seccomp p;
  p.default_action = SeccompAction::Errno;
  p.default_errno_ret = EPERM;
  p.syscalls = {
      rule({"write", "exit", "exit_group", "getpid", "pidfd_open"}, SeccompAction::Allow)};
  SeccompFilter filter = SeccompFilter::compile(p);
  filter.prepare();

  auto out = run_in_child([&](int fd) {
    char buf[128];
    char* end = buf + sizeof buf;
    filter.load();
    char* pos = put(buf, end, "clone3_errno", ::syscall(SYS_clone3, nullptr, 0) == -1 ? errno : 0);
    pos = put(pos, end, "close_range_errno",
              ::syscall(SYS_close_range, 1000, 1001, 0) == -1 ? errno : 0);
    pos = put(pos, end, "getppid_errno", ::syscall(SYS_getppid) == -1 ? errno : 0);
    pos = put(pos, end, "getpid_ok", ::syscall(SYS_getpid) > 0 ? 1 : 0);
    ::syscall(SYS_write, fd, buf, pos - buf);
    ::syscall(SYS_exit_group, 0);
  });
  ASSERT_TRUE(out.exited_ok()) << out.describe();
  EXPECT_EQ(out.value("clone3_errno"), std::to_string(ENOSYS));
  EXPECT_EQ(out.value("close_range_errno"), std::to_string(ENOSYS));
  EXPECT_EQ(out.value("getppid_errno"), std::to_string(EPERM));
  EXPECT_EQ(out.value("getpid_ok"), "1");
}

TEST(SeccompLoad, NamingANewerSyscallRaisesTheEnosysLine) {
  // Naming clone3 (435) moves the line up: its own rule applies, getppid (110) keeps the
  // default EPERM, and only close_range (436) is newer than the profile.
  Seccomp p;
  p.default_action = SeccompAction::Errno;
  p.syscalls = {rule({"write", "exit", "exit_group"}, SeccompAction::Allow),
                rule({"clone3"}, SeccompAction::Errno)};
  p.syscalls[1].errno_ret = EACCES;
  SeccompFilter filter = SeccompFilter::compile(p);

  auto out = run_in_child([&](int fd) {
    char buf[128];
    char* end = buf + sizeof buf;
    filter.load();  // prepares the program itself
    char* pos = put(buf, end, "clone3_errno", ::syscall(SYS_clone3, nullptr, 0) == -1 ? errno : 0);
    pos = put(pos, end, "close_range_errno",
              ::syscall(SYS_close_range, 1000, 1001, 0) == -1 ? errno : 0);
    pos = put(pos, end, "getppid_errno", ::syscall(SYS_getppid) == -1 ? errno : 0);
    ::syscall(SYS_write, fd, buf, pos - buf);
    ::syscall(SYS_exit_group, 0);
  });
  ASSERT_TRUE(out.exited_ok()) << out.describe();
  EXPECT_EQ(out.value("clone3_errno"), std::to_string(EACCES));
  EXPECT_EQ(out.value("close_range_errno"), std::to_string(ENOSYS));
  EXPECT_EQ(out.value("getppid_errno"), std::to_string(EPERM));
}

TEST(SeccompLoad, WithoutNnpAndWithoutCapSysAdminLoadFailsWithEacces) {
  // The reason filters load before the capability drop when no_new_privs is off.
  Seccomp p;
  p.syscalls = {rule({"mkdir"}, SeccompAction::Errno)};
  SeccompFilter filter = SeccompFilter::compile(p);

  auto out = run_in_child([&](int fd) {
    oci::Capabilities caps;
    caps.bounding = caps.effective = caps.permitted = {CAP_CHOWN};
    apply_user_and_capabilities(oci::User{}, caps);
    report(fd, "needs_admin", SeccompFilter::load_needs_cap_sys_admin() ? "1" : "0");
    filter.load();
  });
  EXPECT_FALSE(out.exited_ok()) << out.describe();
  EXPECT_EQ(out.value("needs_admin"), "1");
  EXPECT_EQ(out.value("errno"), std::to_string(EACCES)) << out.describe();
  EXPECT_NE(out.value("error").find("seccomp(SECCOMP_SET_MODE_FILTER)"), std::string::npos)
      << out.describe();
  EXPECT_NE(out.value("error").find("CAP_SYS_ADMIN"), std::string::npos) << out.describe();
}

TEST(SeccompLoad, WithNnpAnUnprivilegedProcessCanLoad) {
  Seccomp p;
  SeccompRule deny = rule({"mkdir", "mkdirat"}, SeccompAction::Errno);
  deny.errno_ret = EROFS;
  p.syscalls = {deny};
  SeccompFilter filter = SeccompFilter::compile(p);

  auto out = run_in_child([&](int fd) {
    oci::Capabilities caps;  // all empty
    apply_user_and_capabilities(oci::User{1000, 1000, std::nullopt, {}}, caps);
    set_no_new_privs();
    report(fd, "needs_admin", SeccompFilter::load_needs_cap_sys_admin() ? "1" : "0");
    filter.load();
    report(fd, "mkdir_errno", errno_after(::mkdir("/tmp/skiff-nnp-test", 0700)));
    report(fd, "seccomp", status_field("Seccomp"));
  });
  ASSERT_TRUE(out.exited_ok()) << out.describe();
  EXPECT_EQ(out.value("needs_admin"), "0");
  EXPECT_EQ(out.value("mkdir_errno"), std::to_string(EROFS));
  EXPECT_EQ(out.value("seccomp"), "2");
}

}  // namespace
}  // namespace skiff::runtime::security
