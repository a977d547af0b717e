// SeccompFilter::compile(), and what a compiled filter does once loaded in a child with
// no_new_privs set: runs unprivileged.
#include <gtest/gtest.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "common/error.h"
#include "runtime/security/seccomp_filter.h"

namespace skiff::runtime::security {
namespace {

using oci::Seccomp;
using oci::SeccompAction;
using oci::SeccompArg;
using oci::SeccompOp;
using oci::SeccompRule;

std::string compile_error(const Seccomp& profile) {
  try {
    SeccompFilter::compile(profile);
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

// Loads `filter` in a forked child (no_new_privs set, so no privilege is needed) and returns
// the errno `call` fails with there, 0 if it succeeds, or -1 if the child could not load it.
int errno_under(SeccompFilter& filter, long (*call)()) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ::_exit(255);
    try {
      filter.load();
    } catch (...) {
      ::_exit(255);
    }
    errno = 0;
    const long rc = call();
    ::_exit(rc < 0 ? (errno & 0x7f) : 0);
  }
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status) == 255 ? -1 : WEXITSTATUS(status);
}

SeccompRule rule(std::vector<std::string> names, SeccompAction action = SeccompAction::Allow) {
  SeccompRule r;
  r.names = std::move(names);
  r.action = action;
  return r;
}

// A representative slice of Docker's default profile: ERRNO by default, an allow list,
// argument rules, and names that exist only on some architectures.
Seccomp docker_like_profile() {
  Seccomp p;
  p.default_action = SeccompAction::Errno;
  p.default_errno_ret = EPERM;
  p.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
  p.syscalls.push_back(rule(
      {"accept", "accept4", "access", "arch_prctl", "bind", "brk", "capget", "capset", "chdir",
       "chmod", "chown", "clock_gettime", "close", "connect", "dup", "dup2", "dup3", "epoll_create",
       "epoll_ctl", "epoll_wait", "execve", "exit", "exit_group", "fchdir", "fcntl", "fstat",
       "futex", "getcwd", "getdents64", "getegid", "geteuid", "getgid", "getpid", "getppid",
       "getuid", "ioctl", "lseek", "mmap", "mprotect", "munmap", "nanosleep", "newfstatat", "open",
       "openat", "pipe2", "poll", "prctl", "read", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn",
       "setgroups", "setresgid", "setresuid", "socket", "stat", "umask", "wait4", "write",
       // not on x86_64 (resolved for the 32-bit arches only)
       "socketcall", "_llseek", "stat64", "ipc",
       // unknown to every kernel: skipped
       "skiff_future_syscall"}));
  SeccompRule persona = rule({"personality"});
  persona.args = {{0, 0x0, 0, SeccompOp::Equal}};
  p.syscalls.push_back(persona);
  persona.args = {{0, 0xffffffff, 0, SeccompOp::Equal}};
  p.syscalls.push_back(persona);
  SeccompRule clone = rule({"clone"});
  clone.args = {{0, 0x7e020000, 0, SeccompOp::MaskedEqual}};  // no namespace flags
  p.syscalls.push_back(clone);
  SeccompRule clone3 = rule({"clone3"}, SeccompAction::Errno);
  clone3.errno_ret = ENOSYS;  // makes glibc fall back to clone
  p.syscalls.push_back(clone3);
  return p;
}

TEST(SeccompCompile, UnknownArchitectureThrowsNamingTheField) {
  Seccomp p;
  p.architectures = {"SCMP_ARCH_VAX"};
  std::string what = compile_error(p);
  EXPECT_NE(what.find("linux.seccomp.architectures[0]"), std::string::npos) << what;
  EXPECT_NE(what.find("SCMP_ARCH_VAX"), std::string::npos) << what;

  p.architectures = {"SCMP_ARCH_X86", "x86_64"};  // libseccomp's spelling is not OCI's
  what = compile_error(p);
  EXPECT_NE(what.find("linux.seccomp.architectures[1]"), std::string::npos) << what;
}

TEST(SeccompCompile, NotifyDefaultActionThrows) {
  Seccomp p;
  p.default_action = SeccompAction::Notify;
  std::string what = compile_error(p);
  EXPECT_NE(what.find("linux.seccomp.defaultAction"), std::string::npos) << what;
  EXPECT_NE(what.find("SCMP_ACT_NOTIFY"), std::string::npos) << what;
}

TEST(SeccompCompile, NotifyRuleThrowsNamingTheRule) {
  Seccomp p;
  p.syscalls = {rule({"read"}, SeccompAction::Errno), rule({"write"}, SeccompAction::Log),
                rule({"ioctl"}, SeccompAction::Notify)};
  std::string what = compile_error(p);
  EXPECT_NE(what.find("linux.seccomp.syscalls[2].action"), std::string::npos) << what;
  EXPECT_NE(what.find("SCMP_ACT_NOTIFY"), std::string::npos) << what;
}

TEST(SeccompCompile, UnknownSyscallNamesAreSkipped) {
  Seccomp p;
  p.syscalls = {rule({"skiff_no_such_call", "mkdir", "another_bogus_call"}, SeccompAction::Errno)};
  SeccompFilter filter = SeccompFilter::compile(p);
  EXPECT_EQ(filter.skipped_syscalls(),
            (std::vector<std::string>{"skiff_no_such_call", "another_bogus_call"}));
  // The known name in the same rule still made it into the filter.
  std::string pfc = filter.pfc();
  EXPECT_NE(pfc.find("\"mkdir\""), std::string::npos) << pfc;
}

TEST(SeccompCompile, DockerLikeDefaultProfileCompiles) {
  SeccompFilter filter = SeccompFilter::compile(docker_like_profile());
  EXPECT_EQ(filter.skipped_syscalls(), std::vector<std::string>{"skiff_future_syscall"});
  std::string pfc = filter.pfc();
  for (const char* name : {"\"execve\"", "\"personality\"", "\"clone\"", "\"socketcall\""}) {
    EXPECT_NE(pfc.find(name), std::string::npos) << name << " missing in\n" << pfc;
  }
  for (const char* arch : {"x86_64", "x86", "x32"}) {
    EXPECT_NE(pfc.find(std::string("# filter for arch ") + arch), std::string::npos) << pfc;
  }
}

TEST(SeccompCompile, RuleWithTheDefaultActionIsSkipped) {
  Seccomp p;
  p.default_action = SeccompAction::Errno;  // EPERM
  p.syscalls = {rule({"mkdir"}, SeccompAction::Errno), rule({"rmdir"})};
  SeccompFilter filter = SeccompFilter::compile(p);
  std::string pfc = filter.pfc();
  EXPECT_EQ(pfc.find("\"mkdir\""), std::string::npos) << pfc;
  EXPECT_NE(pfc.find("\"rmdir\""), std::string::npos) << pfc;
}

TEST(SeccompCompile, ErrnoDifferentFromTheDefaultIsKept) {
  Seccomp p;
  p.default_action = SeccompAction::Errno;  // EPERM
  SeccompRule r = rule({"mkdir"}, SeccompAction::Errno);
  r.errno_ret = EXDEV;
  p.syscalls = {r};
  const std::string pfc = SeccompFilter::compile(p).pfc();
  // The rule's own errno reaches the filter, beside the default's.
  EXPECT_NE(pfc.find("\"mkdir\""), std::string::npos) << pfc;
  EXPECT_NE(pfc.find("ERRNO(" + std::to_string(EXDEV) + ")"), std::string::npos) << pfc;
  EXPECT_NE(pfc.find("ERRNO(" + std::to_string(EPERM) + ")"), std::string::npos) << pfc;
}

TEST(SeccompCompile, ErrnoRetOnAnActionWithoutErrnoThrows) {
  Seccomp p;
  SeccompRule r = rule({"mkdir"}, SeccompAction::KillProcess);
  r.errno_ret = EPERM;
  p.syscalls = {rule({"read"}, SeccompAction::Log), r};
  std::string what = compile_error(p);
  EXPECT_NE(what.find("linux.seccomp.syscalls[1].errnoRet"), std::string::npos) << what;

  Seccomp d;
  d.default_errno_ret = EPERM;  // default action is ALLOW
  what = compile_error(d);
  EXPECT_NE(what.find("linux.seccomp.defaultErrnoRet"), std::string::npos) << what;
}

TEST(SeccompCompile, ErrnoOutOfRangeThrows) {
  Seccomp p;
  SeccompRule r = rule({"mkdir"}, SeccompAction::Errno);
  r.errno_ret = 70000;
  p.syscalls = {r};
  std::string what = compile_error(p);
  EXPECT_NE(what.find("linux.seccomp.syscalls[0].errnoRet: 70000"), std::string::npos) << what;
}

TEST(SeccompCompile, ArgumentIndexOutOfRangeThrows) {
  Seccomp p;
  SeccompRule r = rule({"personality"}, SeccompAction::Errno);
  r.args = {{0, 1, 0, SeccompOp::Equal}, {6, 1, 0, SeccompOp::Equal}};
  p.syscalls = {r};
  std::string what = compile_error(p);
  EXPECT_NE(what.find("linux.seccomp.syscalls[0].args[1].index"), std::string::npos) << what;
}

TEST(SeccompCompile, RepeatedArgumentIndexCompiles) {
  // libseccomp refuses two comparisons of one argument in a rule (EINVAL); they become
  // separate rules instead.
  Seccomp p;
  SeccompRule r = rule({"personality"}, SeccompAction::Errno);
  r.args = {{0, 3, 0, SeccompOp::Equal}, {0, 4, 0, SeccompOp::Equal}};
  r.errno_ret = EXDEV;
  p.syscalls = {r};
  SeccompFilter filter = SeccompFilter::compile(p);
  // Either comparison matches (runc's reading); any other value passes.
  EXPECT_EQ(errno_under(filter, [] { return ::syscall(SYS_personality, 3UL); }), EXDEV);
  EXPECT_EQ(errno_under(filter, [] { return ::syscall(SYS_personality, 4UL); }), EXDEV);
  EXPECT_EQ(errno_under(filter, [] { return ::syscall(SYS_personality, 0xffffffffUL); }), 0);
}

TEST(SeccompCompile, DistinctArgumentsAreOneRule) {
  Seccomp p;
  SeccompRule r = rule({"socket"}, SeccompAction::Errno);
  r.args = {{0, AF_UNIX, 0, SeccompOp::Equal}, {2, 9, 0, SeccompOp::Equal}};
  r.errno_ret = EXDEV;
  p.syscalls = {r};
  SeccompFilter filter = SeccompFilter::compile(p);
  // Both comparisons must hold: one rule, not two.
  EXPECT_EQ(errno_under(filter, [] { return long{::socket(AF_UNIX, SOCK_STREAM, 9)}; }), EXDEV);
  EXPECT_NE(errno_under(filter, [] { return long{::socket(AF_UNIX, SOCK_STREAM, 0)}; }), EXDEV);
  EXPECT_NE(errno_under(filter, [] { return long{::socket(AF_INET, SOCK_STREAM, 9)}; }), EXDEV);
}

TEST(SeccompCompile, FlagsAreMappedAndUnknownFlagsThrow) {
  Seccomp p;
  p.flags = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
             "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};
  EXPECT_NO_THROW(SeccompFilter::compile(p));
  p.flags = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_BOGUS"};
  std::string what = compile_error(p);
  EXPECT_NE(what.find("linux.seccomp.flags[1]"), std::string::npos) << what;
  EXPECT_NE(what.find("SECCOMP_FILTER_FLAG_BOGUS"), std::string::npos) << what;
}

TEST(SeccompCompile, MovedFromFilterRefusesToLoad) {
  SeccompFilter a = SeccompFilter::compile(Seccomp{});
  SeccompFilter b = std::move(a);
  EXPECT_THROW(a.load(), Error);  // NOLINT(bugprone-use-after-move): that is the point
  EXPECT_NO_THROW(b.pfc());
}

}  // namespace
}  // namespace skiff::runtime::security
