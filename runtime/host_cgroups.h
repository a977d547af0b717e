// The host's cgroup layout, read once per process: `run` creates, starts and deletes in
// one process, and each step would otherwise parse /proc/self/mountinfo again.
#pragma once

#include "cgroups/manager.h"

namespace skiff::runtime {

const cgroups::Manager& host_cgroups();

}  // namespace skiff::runtime
