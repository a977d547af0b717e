// One function per verb group; each registers its subcommands on the CLI11 app. The verbs
// are thin: parse, call the runtime library, print.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "runtime/state_dir.h"

namespace skiff::runtime::cli {

// Runs once options are parsed; returns the process exit code.
using Action = std::function<int(const StateDir&)>;

void add_create_commands(CLI::App& app, Action& action);   // create, start, run
void add_control_commands(CLI::App& app, Action& action);  // kill, delete, pause, resume, update
void add_query_commands(CLI::App& app, Action& action);    // state, list, ps, features, spec
// exec; `command` is the process's argv, cut from the command line before parsing (all
// that follows the container id), and read when the action runs.
void add_exec_command(CLI::App& app, Action& action, const std::vector<std::string>& command);

}  // namespace skiff::runtime::cli
