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

struct ExecArgs {
  std::string task, container;
  std::vector<std::string> command;
  bool tty = false;
  bool interactive = false;
};

// skiffctl exec (skiffctl/exec_command.cpp): returns the process's exit code.
int exec_in_task(const std::string& socket, const ExecArgs& args);

}  // namespace skiff::ctl
