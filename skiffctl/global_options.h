// Options every skiffctl command shares. Image commands work on the local image store
// directly; the agent commands (run, ps, inspect, logs, exec, stop, stats, events) will
// talk to the agent's Unix socket and add their own fields here (e.g. the socket path)
// from their own files, next to image_commands.cpp.
#pragma once

#include <string>

#include "image/store/content_store.h"

namespace skiff::ctl {

struct GlobalOptions {
  bool json = false;                                     // --json: machine-readable output
  std::string root = image::ContentStore::kDefaultRoot;  // --root: image store root
};

}  // namespace skiff::ctl
