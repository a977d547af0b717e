// `exec`: a new process inside a running container, in all of its namespaces and its
// cgroup, with the container's (or the requested) user, capabilities and seccomp filter.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "runtime/spec/spec.h"
#include "runtime/state_dir.h"

namespace skiff::runtime {

struct ExecOptions {
  std::string id;
  oci::Process process;
  bool detach = false;
  std::optional<std::string> pid_file;
  std::string console_socket;
  int preserve_fds = 0;
};

// The container's own process settings, the base that exec flags override.
oci::Process container_process(const StateDir& dir, const std::string& id);

// Detached: returns 0 once the process has been exec'd (its pid in --pid-file). Otherwise
// waits and returns its exit status (128+signal when killed), like runc.
int exec_in_container(const StateDir& dir, const ExecOptions& options);

}  // namespace skiff::runtime
