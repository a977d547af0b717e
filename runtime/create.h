// `create`: everything up to a container whose init waits on exec.fifo for `start`.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

#include "runtime/state_dir.h"
#include "runtime/warnings.h"

namespace skiff::runtime {

struct CreateOptions {
  std::string id;
  std::filesystem::path bundle;
  std::optional<std::filesystem::path> pid_file;
  std::string console_socket;
  bool no_pivot = false;
  int preserve_fds = 0;
  bool created_via_run = false;
  WarningSink warn;  // the config's warnings (kmem limits the kernel lacks); may be empty
};

// Returns the init's pid (host view). On any failure the init is killed and the state
// directory and cgroup are removed: nothing of the container remains.
pid_t create_container(const StateDir& dir, const CreateOptions& options);

}  // namespace skiff::runtime
