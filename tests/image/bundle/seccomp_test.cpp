// The default seccomp profile: deny with EPERM, the common syscalls allowed, the escape
// hatches not.
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>

#include "image/bundle/bundle.h"
#include "runtime/spec/spec.h"

namespace skiff::image {
namespace {

using json = nlohmann::json;

// Names allowed without argument conditions.
std::vector<std::string> unconditional(const json& profile) {
  std::vector<std::string> out;
  for (const json& rule : profile["syscalls"]) {
    if (rule["action"] != "SCMP_ACT_ALLOW" || rule.contains("args")) continue;
    for (const json& n : rule["names"]) out.push_back(n.get<std::string>());
  }
  return out;
}

bool has(const std::vector<std::string>& v, const char* s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(DefaultSeccomp, DeniesWithEperm) {
  const json p = default_seccomp_profile(default_capabilities());
  EXPECT_EQ(p["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_EQ(p["defaultErrnoRet"], EPERM);
  const auto arches = p["architectures"].get<std::vector<std::string>>();
#if defined(__x86_64__)
  EXPECT_TRUE(has(arches, "SCMP_ARCH_X86_64"));
  EXPECT_TRUE(has(arches, "SCMP_ARCH_X86"));
  EXPECT_TRUE(has(arches, "SCMP_ARCH_X32"));
#elif defined(__aarch64__)
  EXPECT_TRUE(has(arches, "SCMP_ARCH_AARCH64"));
#endif
}

TEST(DefaultSeccomp, AllowsCommonAndNotDangerous) {
  const std::vector<std::string> allowed = unconditional(default_seccomp_profile({}));
  EXPECT_GT(allowed.size(), 300u);
  for (const char* s : {"read", "write", "execve", "exit_group", "openat", "futex", "mmap"}) {
    EXPECT_TRUE(has(allowed, s)) << s;
  }
  for (const char* s : {"mount", "umount2", "bpf", "kexec_load", "init_module", "unshare", "setns",
                        "perf_event_open", "ptrace", "clone", "clone3", "chroot"}) {
    EXPECT_FALSE(has(allowed, s)) << s;
  }
  // No duplicates: a duplicate would hint at a list edited carelessly.
  std::vector<std::string> sorted = allowed;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end());
}

TEST(DefaultSeccomp, Clone3ReturnsEnosysAndCloneIsMasked) {
  const json p = default_seccomp_profile(default_capabilities());
  bool clone3 = false, clone = false;
  for (const json& rule : p["syscalls"]) {
    if (rule["names"] == json{"clone3"}) {
      clone3 = true;
      EXPECT_EQ(rule["action"], "SCMP_ACT_ERRNO");
      EXPECT_EQ(rule["errnoRet"], ENOSYS);
    }
    if (rule["names"] == json{"clone"}) {
      clone = true;
      ASSERT_TRUE(rule.contains("args"));
      EXPECT_EQ(rule["args"][0]["op"], "SCMP_CMP_MASKED_EQ");
    }
  }
  EXPECT_TRUE(clone3);
  EXPECT_TRUE(clone);
}

TEST(DefaultSeccomp, CapabilityGatedSyscalls) {
  EXPECT_TRUE(has(unconditional(default_seccomp_profile(default_capabilities())), "chroot"));
  const auto admin = unconditional(default_seccomp_profile({"CAP_SYS_ADMIN"}));
  EXPECT_TRUE(has(admin, "clone"));
  EXPECT_FALSE(has(admin, "mount"));  // still the runtime's job, never the container's
}

TEST(DefaultSeccomp, ParsesWithSkiffsParser) {
  json config = oci::default_spec();
  config["linux"]["seccomp"] = default_seccomp_profile(default_capabilities());
  const oci::Spec s = oci::parse_spec(config);
  ASSERT_TRUE(s.linux_config.seccomp);
  EXPECT_EQ(s.linux_config.seccomp->default_errno_ret, std::optional<std::uint32_t>(EPERM));
}

}  // namespace
}  // namespace skiff::image
