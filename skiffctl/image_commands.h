// `skiffctl image ...`: pull, import, export, bundle, ls, inspect, rm, prune, gc.
#pragma once

#include <CLI/CLI.hpp>

#include "skiffctl/global_options.h"

namespace skiff::ctl {

// `g` must outlive `app` (the commands read it when they run).
void add_image_commands(CLI::App& app, GlobalOptions& g);

}  // namespace skiff::ctl
