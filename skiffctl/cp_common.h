// Shared by the `skiffctl cp` command files: running a command against the control plane,
// reading fields of its JSON answers, and the human output they share.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "skiffctl/cp_client.h"
#include "skiffctl/global_options.h"

namespace skiff::ctl {

// A CLI11 callback that builds the client from `g` and runs `fn`. With --json an error
// answer of the control plane is also printed on stdout, as it came, for scripts.
std::function<void()> cp_action(const GlobalOptions& g, std::function<void(const CpClient&)> fn);

// A field as text: strings as they are, numbers and booleans as JSON, "" if absent/null.
std::string field(const nlohmann::json& j, const char* key);
// field(), with "-" for "" (table cells).
std::string cell(const nlohmann::json& j, const char* key);
void print_json(const nlohmann::json& j);
// "NAME  value" lines, names padded to the widest.
void print_fields(std::ostream& out, const std::vector<std::pair<std::string, std::string>>& kv);
// "2026-11-24T22:51:20.123Z" -> "22:51:20.123" (as is if it does not look like that).
std::string clock_time(const std::string& iso);
// `--cluster C`, required, on a command.
void add_cluster_option(CLI::App* c, std::string& cluster);

// The task and service command groups (skiffctl/cp_workload_commands.cpp).
void add_cp_task_commands(CLI::App& cp, const GlobalOptions& g);
void add_cp_service_commands(CLI::App& cp, const GlobalOptions& g);

}  // namespace skiff::ctl
