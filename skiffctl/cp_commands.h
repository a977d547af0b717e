// `skiffctl cp ...`: the control plane's admin API (docs/skiffctl-cp.md) over HTTPS, pinned
// to the control plane's CA: clusters, activations, instances, task definitions, tasks and
// services, and `cp service wait`, which follows a rolling deployment live.
#pragma once

#include <CLI/CLI.hpp>

#include "skiffctl/global_options.h"

namespace skiff::ctl {

// `g` must outlive `app`. Reads g.endpoint, g.ca_file and the admin token when a command runs.
void add_cp_commands(CLI::App& app, GlobalOptions& g);

}  // namespace skiff::ctl
