// container_device_rules: the list the v1 files and the v2 program are both built from.
#include "runtime/device_rules.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace skiff::runtime {
namespace {

using cgroups::DeviceRule;

bool has_rule(const std::vector<DeviceRule>& rules, bool allow, char type, std::int64_t major,
              std::int64_t minor, const std::string& access) {
  return std::any_of(rules.begin(), rules.end(), [&](const DeviceRule& r) {
    return r.allow == allow && r.type == type && r.major == major && r.minor == minor &&
           r.access == access;
  });
}

TEST(ContainerDeviceRules, DenyAllFirstThenTheStandardNodes) {
  const auto rules = container_device_rules(oci::LinuxConfig{});
  ASSERT_FALSE(rules.empty());
  EXPECT_EQ(rules.front().to_v1(), "a *:* rwm");
  EXPECT_FALSE(rules.front().allow);
  EXPECT_TRUE(has_rule(rules, true, 'c', 1, 3, "rwm"));     // null
  EXPECT_TRUE(has_rule(rules, true, 'c', 136, -1, "rwm"));  // pts
  EXPECT_FALSE(has_rule(rules, true, 'b', 8, 0, "rwm"));
}

TEST(ContainerDeviceRules, ALinuxDeviceAloneIsOpenedFully) {
  oci::LinuxConfig lc;
  lc.devices.push_back({.type = 'b', .path = "/dev/sda", .major = 8, .minor = 0});
  lc.devices.push_back({.type = 'u', .path = "/dev/x", .major = 10, .minor = 200});
  const auto rules = container_device_rules(lc);
  EXPECT_EQ(rules.back().to_v1(), "c 10:200 rwm");  // 'u' is a character device
  EXPECT_TRUE(has_rule(rules, true, 'b', 8, 0, "rwm"));
}

TEST(ContainerDeviceRules, ADeviceTheResourcesNameKeepsTheAccessGivenThere) {
  oci::LinuxConfig lc;
  lc.devices.push_back({.type = 'b', .path = "/dev/sda", .major = 8, .minor = 0});
  lc.devices.push_back({.type = 'c', .path = "/dev/kmsg", .major = 1, .minor = 11});
  lc.device_rules.push_back({.allow = true, .type = 'b', .major = 8, .minor = 0, .access = "r"});
  // A rule for a whole major does not name the node: kmsg still gets rwm.
  lc.device_rules.push_back({.allow = true, .type = 'c', .major = 1, .access = "r"});
  const auto rules = container_device_rules(lc);
  EXPECT_TRUE(has_rule(rules, true, 'b', 8, 0, "r"));
  EXPECT_FALSE(has_rule(rules, true, 'b', 8, 0, "rwm"));
  EXPECT_EQ(rules.back().to_v1(), "c 1:11 rwm");
}

}  // namespace
}  // namespace skiff::runtime
