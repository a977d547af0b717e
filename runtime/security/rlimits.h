// process.rlimits for a container's init, applied to the calling process with setrlimit.
#pragma once

#include <string>
#include <vector>

#include "runtime/spec/spec.h"

namespace skiff::runtime::security {

// Sets each limit in order. Raising a hard limit needs CAP_SYS_RESOURCE, so this runs before
// capabilities are dropped. Errors name the resource, the requested and the current values:
// "setrlimit RLIMIT_NOFILE soft 4096 hard 1048576 (current soft 1024 hard 20000): ...".
void apply_rlimits(const std::vector<oci::Rlimit>& limits);

// "RLIMIT_NOFILE" for RLIMIT_NOFILE; "rlimit 99" for an unknown number.
std::string rlimit_name(int resource);

}  // namespace skiff::runtime::security
