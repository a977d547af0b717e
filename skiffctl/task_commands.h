// `skiffctl run | ps | inspect | logs | exec | stop | stats | events | drain`: the agent
// commands, over the agent's local API (skiffctl/api_client.h).
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "skiffctl/global_options.h"

namespace skiff::ctl {

// `g` must outlive `app`. Adds --socket (env SKIFF_AGENT_SOCKET) for these commands.
void add_task_commands(CLI::App& app, GlobalOptions& g);
// `skiffctl exec [-t] [-i] TASK CONTAINER CMD...`: as with runc, everything after the
// container is the command, -h and --help included (a "--" right after it is dropped).
// CLI11 would take those for its own, so this cuts them off main's argv before parsing
// (after add_task_commands) and returns the rest, which app.parse() reads; the command
// is kept for the exec callback. Other command lines come back unchanged.
std::vector<std::string> cut_exec_command(CLI::App& app, int argc, char** argv);

struct ExecArgs {
  std::string task, container;
  std::vector<std::string> command;
  bool tty = false;
  bool interactive = false;
};

// skiffctl exec (skiffctl/exec_command.cpp): returns the process's exit code.
int exec_in_task(const std::string& socket, const ExecArgs& args);

}  // namespace skiff::ctl
