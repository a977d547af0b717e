// `skiff-cgroup run`: one command in a fresh cgroup, then a report of what the limits did.
#pragma once

#include <string>
#include <vector>

#include "cgroups/resources.h"

namespace skiff::cgroups::tool {

struct RunRequest {
  std::string name;    // cgroup name below the parent
  std::string parent;  // "" = our own cgroup
  Resources resources;
  std::vector<std::string> argv;
  bool json = false;
};

// Returns the command's exit status (128+signal when killed), like a shell.
int run_command(const RunRequest& request);

}  // namespace skiff::cgroups::tool
