#include "runtime/device_rules.h"

#include <algorithm>
#include <iterator>

namespace skiff::runtime {

std::vector<cgroups::DeviceRule> container_device_rules(const oci::LinuxConfig& lc) {
  using R = cgroups::DeviceRule;
  // Deny all, then the spec's own rules, then what every container needs (runc's order:
  // a config's leading "deny all" must not take away /dev/null), then linux.devices.
  std::vector<R> rules = {R{false, 'a', -1, -1, "rwm"}};
  for (const auto& r : lc.device_rules) {
    rules.push_back(R{r.allow, r.type, r.major.value_or(-1), r.minor.value_or(-1), r.access});
  }
  const R kStandard[] = {
      R{true, 'c', -1, -1, "m"},  // mknod of any node; opening it is what the list governs
      R{true, 'b', -1, -1, "m"},    R{true, 'c', 1, 3, "rwm"},  // null
      R{true, 'c', 1, 5, "rwm"},                                // zero
      R{true, 'c', 1, 7, "rwm"},                                // full
      R{true, 'c', 1, 8, "rwm"},                                // random
      R{true, 'c', 1, 9, "rwm"},                                // urandom
      R{true, 'c', 5, 0, "rwm"},                                // tty
      R{true, 'c', 5, 1, "rwm"},                                // console
      R{true, 'c', 5, 2, "rwm"},                                // ptmx
      R{true, 'c', 136, -1, "rwm"},                             // pts/*
  };
  rules.insert(rules.end(), std::begin(kStandard), std::end(kStandard));
  for (const auto& d : lc.devices) {
    if (d.type != 'c' && d.type != 'b' && d.type != 'u') continue;
    const char type = d.type == 'b' ? 'b' : 'c';
    // A node linux.resources.devices names itself keeps the access given there: that is
    // how `--device /dev/x:r` (and a task definition's "permissions") restrict it.
    const bool named = std::any_of(lc.device_rules.begin(), lc.device_rules.end(), [&](auto& r) {
      return r.type == type && r.major == d.major && r.minor == d.minor;
    });
    if (!named) rules.push_back(R{true, type, d.major, d.minor, "rwm"});
  }
  return rules;
}

}  // namespace skiff::runtime
