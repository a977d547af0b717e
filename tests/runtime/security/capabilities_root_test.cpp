// User and capability switches in fork()ed children, checked through /proc/self/status and
// through an exec'd `cat /proc/self/status` (what the container's process really gets).
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <vector>

#include "child.h"
#include "runtime/security/capabilities.h"

namespace skiff::runtime::security {
namespace {

using testing::report;
using testing::run_in_child;
using testing::status_field;

std::string mask(std::initializer_list<int> caps) {
  std::uint64_t bits = 0;
  for (int cap : caps) bits |= std::uint64_t{1} << cap;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, bits);
  return buf;
}

std::string ids(uid_t a, uid_t b, uid_t c) {
  return std::to_string(a) + "," + std::to_string(b) + "," + std::to_string(c);
}

void report_ids(int fd) {
  uid_t ru, eu, su;
  gid_t rg, eg, sg;
  ::getresuid(&ru, &eu, &su);
  ::getresgid(&rg, &eg, &sg);
  report(fd, "uids", ids(ru, eu, su));
  report(fd, "gids", ids(rg, eg, sg));
  gid_t groups[64];
  int n = ::getgroups(64, groups);
  std::string list;
  for (int i = 0; i < n; ++i) {
    if (i > 0) list += ',';
    list += std::to_string(groups[i]);
  }
  report(fd, "groups", list);
}

void report_caps(int fd) {
  for (const char* field : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}) {
    report(fd, field, status_field(field));
  }
}

TEST(Capabilities, KeepOnlyChownAndKill) {
  auto out = run_in_child([](int fd) {
    oci::Capabilities caps;
    caps.bounding = caps.effective = caps.permitted = {CAP_CHOWN, CAP_KILL};
    apply_user_and_capabilities(oci::User{}, caps);
    report_caps(fd);
    report_ids(fd);
  });
  ASSERT_TRUE(out.exited_ok()) << out.describe();
  EXPECT_EQ(out.value("CapEff"), mask({CAP_CHOWN, CAP_KILL}));
  EXPECT_EQ(out.value("CapPrm"), mask({CAP_CHOWN, CAP_KILL}));
  EXPECT_EQ(out.value("CapBnd"), mask({CAP_CHOWN, CAP_KILL}));
  EXPECT_EQ(out.value("CapInh"), mask({}));
  EXPECT_EQ(out.value("CapAmb"), mask({}));
  EXPECT_EQ(out.value("uids"), "0,0,0");
  EXPECT_EQ(out.value("groups"), "");
}

TEST(Capabilities, SwitchToUserKeepsAmbientCapabilityAcrossExec) {
  auto out = run_in_child([](int fd) {
    oci::Capabilities caps;
    caps.bounding = caps.effective = caps.permitted = caps.inheritable =
        caps.ambient = {CAP_NET_BIND_SERVICE};
    apply_user_and_capabilities(oci::User{1000, 1000, 027, {2000}}, caps);
    report_ids(fd);
    report_caps(fd);
    mode_t old = ::umask(0);
    report(fd, "umask", std::to_string(old));
    // What the container's process gets: an ordinary binary, no file capabilities.
    if (::dup2(fd, STDOUT_FILENO) < 0) throw_errno("dup2", "stdout");
    ::execl("/bin/cat", "cat", "/proc/self/status", static_cast<char*>(nullptr));
    throw_errno("execve", "/bin/cat");
  });
  ASSERT_TRUE(out.exited_ok()) << out.describe();
  EXPECT_EQ(out.value("uids"), "1000,1000,1000");
  EXPECT_EQ(out.value("gids"), "1000,1000,1000");
  EXPECT_EQ(out.value("groups"), "2000");
  EXPECT_EQ(out.value("umask"), std::to_string(027));
  const std::string nbs = mask({CAP_NET_BIND_SERVICE});
  for (const char* field : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}) {
    EXPECT_EQ(out.value(field), nbs) << field << " before exec";
  }
  // After execve the ambient set becomes permitted and effective.
  for (const char* field : {"CapPrm", "CapEff", "CapBnd", "CapAmb"}) {
    EXPECT_EQ(out.status[field], nbs) << field << " after exec\n" << out.raw;
  }
  EXPECT_EQ(out.status["Uid"], "1000\t1000\t1000\t1000");
  EXPECT_EQ(out.status["Groups"], "2000");
}

TEST(Capabilities, WithoutCapsANonRootUserHasNone) {
  auto out = run_in_child([](int fd) {
    apply_user_and_capabilities(oci::User{1000, 1000, std::nullopt, {}}, std::nullopt);
    report_ids(fd);
    report_caps(fd);
  });
  ASSERT_TRUE(out.exited_ok()) << out.describe();
  EXPECT_EQ(out.value("uids"), "1000,1000,1000");
  EXPECT_EQ(out.value("gids"), "1000,1000,1000");
  EXPECT_EQ(out.value("groups"), "");
  EXPECT_EQ(out.value("CapEff"), mask({}));
  EXPECT_EQ(out.value("CapPrm"), mask({}));
}

TEST(Capabilities, WithoutCapsRootKeepsItsSets) {
  std::string before = status_field("CapEff");
  auto out = run_in_child([](int fd) {
    apply_user_and_capabilities(oci::User{0, 0, std::nullopt, {10, 20}}, std::nullopt);
    report_ids(fd);
    report_caps(fd);
  });
  ASSERT_TRUE(out.exited_ok()) << out.describe();
  EXPECT_EQ(out.value("groups"), "10,20");
  EXPECT_EQ(out.value("CapEff"), before);
}

TEST(Capabilities, EffectiveOutsidePermittedIsRefusedBeforeAnyChange) {
  auto out = run_in_child([](int fd) {
    oci::Capabilities caps;
    caps.bounding = caps.permitted = {CAP_CHOWN};
    caps.effective = {CAP_CHOWN, CAP_KILL};
    try {
      apply_user_and_capabilities(oci::User{1000, 1000, std::nullopt, {}}, caps);
    } catch (const Error& e) {
      report(fd, "error", e.what());
    }
    report_ids(fd);
  });
  ASSERT_TRUE(out.exited_ok()) << out.describe();
  EXPECT_NE(out.value("error").find("process.capabilities.effective: CAP_KILL"), std::string::npos)
      << out.describe();
  EXPECT_EQ(out.value("uids"), "0,0,0");
}

TEST(Capabilities, AmbientOutsideInheritableIsRefused) {
  auto out = run_in_child([](int) {
    oci::Capabilities caps;
    caps.bounding = caps.permitted = caps.effective = caps.ambient = {CAP_NET_RAW};
    apply_user_and_capabilities(oci::User{}, caps);
  });
  EXPECT_FALSE(out.exited_ok());
  EXPECT_NE(out.value("error").find("process.capabilities.ambient: CAP_NET_RAW"), std::string::npos)
      << out.describe();
}

TEST(Capabilities, BoundingDropWithoutCapSetpcapNamesTheCapability) {
  auto out = run_in_child([](int) {
    oci::Capabilities first;  // keep the bounding set, lose CAP_SETPCAP
    for (int cap = 0; cap <= CAP_LAST_CAP; ++cap) first.bounding.push_back(cap);
    first.effective = first.permitted = {CAP_CHOWN};
    apply_user_and_capabilities(oci::User{}, first);
    oci::Capabilities second;
    second.bounding = second.effective = second.permitted = {CAP_CHOWN};
    apply_user_and_capabilities(oci::User{}, second);
  });
  EXPECT_FALSE(out.exited_ok());
  EXPECT_EQ(out.value("errno"), std::to_string(EPERM)) << out.describe();
  // Capability 1 is the first one not kept.
  EXPECT_NE(out.value("error").find("prctl(PR_CAPBSET_DROP) CAP_DAC_OVERRIDE"), std::string::npos)
      << out.describe();
}

TEST(Capabilities, SetgroupsFailureNamesTheGroups) {
  auto out = run_in_child([](int) {
    // As uid 1000 without capabilities, a second switch cannot set groups.
    apply_user_and_capabilities(oci::User{1000, 1000, std::nullopt, {}}, std::nullopt);
    apply_user_and_capabilities(oci::User{0, 0, std::nullopt, {5, 6}}, std::nullopt);
  });
  EXPECT_FALSE(out.exited_ok());
  EXPECT_EQ(out.value("errno"), std::to_string(EPERM)) << out.describe();
  EXPECT_NE(out.value("error").find("setgroups [5,6]"), std::string::npos) << out.describe();
}

}  // namespace
}  // namespace skiff::runtime::security
