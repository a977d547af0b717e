// Starting a program inside a cgroup from its first instruction, so no work it does is
// ever accounted to (or limited by) the caller's cgroup.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "cgroups/cgroup.h"

namespace skiff::cgroups {

struct SpawnOptions {
  int stdin_fd = -1;  // -1 keeps the caller's
  int stdout_fd = -1;
  int stderr_fd = -1;
};

enum class SpawnPath { CloneIntoCgroup, ForkThenSelfMove };

struct Spawned {
  pid_t pid;
  SpawnPath path;  // which mechanism placed the child
};

// clone3(CLONE_INTO_CGROUP) where the backend and kernel allow it, otherwise fork and let
// the child move itself (cgroups/self_move.h) before it execs. An exec failure is reported as a
// skiff::SysError naming argv[0] (the child sends its errno back over a close-on-exec pipe).
Spawned spawn_in(Cgroup& cgroup, const std::vector<std::string>& argv,
                 const SpawnOptions& options = {});

}  // namespace skiff::cgroups
