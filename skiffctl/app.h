// What skiffctl and its helper programs share: the global options, and running an app with
// skiffctl's error output.
//
// skiffctl itself holds only the agent commands, so that `skiffctl run` starts in about a
// millisecond. The image and control-plane families live in skiffctl-image and skiffctl-cp
// (libarchive, OpenSSL and their dependencies: about 3 ms of loading and relocation per
// start), which skiffctl execs with its own argv (skiffctl/forward.h).
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "skiffctl/global_options.h"

namespace skiff::ctl {

// skiffctl's global options, written to `g`; `g` must outlive `app`.
void add_global_options(CLI::App& app, GlobalOptions& g);

// Parses and runs; a ParseError exits as CLI11 prescribes, any other error prints
// "skiffctl: <what>" and returns 1. A command line for one of `forwarded` execs its helper
// before any parsing (skiffctl/forward.h).
int run_app(CLI::App& app, int argc, char** argv, const std::vector<std::string>& forwarded = {});

// A helper program's main: an app with the global options and the commands `add` registers.
int run_commands(int argc, char** argv, void (*add)(CLI::App&, GlobalOptions&));

inline constexpr const char* kDescription =
    "skiffctl: manage Skiff images and containers, and drive a control plane";

}  // namespace skiff::ctl
