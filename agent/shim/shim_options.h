// The skiff-shim command line, parsed (shim_main.cpp).
#pragma once

#include <string>

#include "agent/shim/log_sink.h"

namespace skiff::agent {

struct ShimOptions {
  std::string id;
  std::string bundle;
  std::string state_dir;
  std::string runtime;
  std::string runtime_root;
  LogOptions log;
  int ready_fd = -1;
  // `run --detach` instead of `create`: the container is started as well, saving the
  // caller a second runtime exec.
  bool start = false;
  // After the init exits, how long the pipes may still be read (a process that inherited
  // them may keep them open forever).
  unsigned drain_timeout_ms = 2000;
};

}  // namespace skiff::agent
