// The device allow-list as a BPF_PROG_TYPE_CGROUP_DEVICE program: cgroup v2's stand-in for
// v1's devices.allow/devices.deny. Pure code generation; device_bpf.h loads and attaches it.
//
// Semantics are v1's as runc applies them: rules in list order, the last rule that matches
// a request decides, and a request no rule matches is denied. An allow rule matches when it
// grants every access bit requested; a deny rule matches when it names any of them. The
// program therefore tests the rules from the last back and returns at the first match; a
// rule that matches everything ends the program, since nothing before it can be reached
// (the verifier refuses unreachable instructions).
#pragma once

#include <linux/bpf.h>

#include <cstdint>
#include <string>
#include <vector>

#include "cgroups/resources.h"

namespace skiff::cgroups {

// Throws skiff::Error naming the rule when a type or access letter is not one of OCI's.
std::vector<bpf_insn> compile_device_program(const std::vector<DeviceRule>& rules);

// One device access as the kernel presents it to the program (struct bpf_cgroup_dev_ctx).
struct DeviceRequest {
  char type;  // 'c' or 'b'
  std::uint32_t major;
  std::uint32_t minor;
  std::string access;  // any of "rwm"
};

// What `rules` decide for `request` under the semantics above: the reference the compiled
// program is tested against, and a readable answer for error messages.
bool device_rules_allow(const std::vector<DeviceRule>& rules, const DeviceRequest& request);

}  // namespace skiff::cgroups
