// The device allow-list a container gets, in runc's order so podman and images behave the
// same: deny everything, linux.resources.devices as written, the devices every container
// needs (null, zero, tty, ptmx, pts, ...), then the spec's linux.devices.
#pragma once

#include <vector>

#include "cgroups/resources.h"
#include "runtime/spec/spec.h"

namespace skiff::runtime {

std::vector<cgroups::DeviceRule> container_device_rules(const oci::LinuxConfig& linux_config);

}  // namespace skiff::runtime
