// skiff-runtime: an OCI runtime with runc's command line, so podman, conmon and
// containerd can use it in place of runc.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"
#include "runtime/cli/commands.h"
#include "runtime/cli/log.h"

namespace {

// Global options and exec options that take a value as the next argument.
const std::set<std::string> kGlobalTakesValue = {"--root", "--log", "--log-format", "--rootless"};
const std::set<std::string> kExecTakesValue = {"-p",
                                               "--process",
                                               "--pid-file",
                                               "--console-socket",
                                               "-e",
                                               "--env",
                                               "--cwd",
                                               "-u",
                                               "--user",
                                               "-g",
                                               "--additional-gids",
                                               "-c",
                                               "--cap",
                                               "--preserve-fds",
                                               "--process-label",
                                               "--apparmor"};

// Index of the first argument at or after `from` that is not an option (or an option's
// value); args.size() if none. A "--" ends the options: the next argument is returned.
std::size_t first_operand(const std::vector<std::string>& args, std::size_t from,
                          const std::set<std::string>& takes_value) {
  for (std::size_t i = from; i < args.size(); ++i) {
    if (args[i] == "--") return i + 1;
    if (!args[i].starts_with("-") || args[i] == "-") return i;
    if (takes_value.contains(args[i]) || kGlobalTakesValue.contains(args[i])) ++i;
  }
  return args.size();
}

// As in runc, everything after exec's container id is the process's argv, dashes and -h
// included (a leading "--" is dropped). CLI11 would read those as options, so they are cut
// off here; `command` receives them and CLI11 parses only what comes before.
std::vector<std::string> split_exec_command(int argc, char** argv,
                                            std::vector<std::string>& command) {
  std::vector<std::string> args(argv, argv + argc);
  std::size_t verb = first_operand(args, 1, kGlobalTakesValue);
  if (verb >= args.size() || args[verb] != "exec") return args;
  std::size_t id = first_operand(args, verb + 1, kExecTakesValue);
  if (id >= args.size()) return args;
  command.assign(args.begin() + static_cast<std::ptrdiff_t>(id) + 1, args.end());
  if (!command.empty() && command.front() == "--") command.erase(command.begin());
  args.resize(id + 1);
  return args;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace skiff::runtime;
  CLI::App app{"skiff-runtime: run OCI containers (runc-compatible command line)"};
  app.set_version_flag("-v,--version", "skiff-runtime version 0.1.0\nspec: 1.1.0\n");
  app.require_subcommand(1);
  app.fallthrough();   // global options may also follow the verb
  app.allow_extras();  // only `exec` takes them (its command); checked after parsing

  std::string root = "/run/skiff-runtime";
  cli::LogConfig log;
  bool systemd_cgroup = false;
  std::string rootless_flag;
  app.add_option("--root", root, "directory for container state");
  app.add_option("--log", log.file, "log file (errors are also written to stderr)");
  app.add_option("--log-format", log.format, "log format: text or json")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_flag("--debug", log.debug, "log debug messages");
  app.add_flag("--systemd-cgroup", systemd_cgroup, "use systemd to manage cgroups (unsupported)");
  app.add_option("--rootless", rootless_flag, "accepted for runc compatibility");

  cli::Action action;
  cli::add_create_commands(app, action);
  cli::add_control_commands(app, action);
  cli::add_query_commands(app, action);
  std::vector<std::string> exec_command;
  cli::add_exec_command(app, action, exec_command);

  try {
    auto args = split_exec_command(argc, argv, exec_command);
    std::reverse(args.begin(), args.end());  // CLI11 takes a vector in reverse order
    args.pop_back();                         // without the program name
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  cli::configure_log(log);
  try {
    if (!app.got_subcommand("exec") && !app.remaining().empty()) {
      throw skiff::Error("unexpected argument \"" + app.remaining().front() + "\"");
    }
    if (systemd_cgroup) {
      throw skiff::Error(
          "--systemd-cgroup is not supported: skiff-runtime manages cgroupfs directly "
          "(podman: use --cgroup-manager cgroupfs)");
    }
    return action(StateDir(root));
  } catch (const std::exception& e) {
    cli::log_error(e.what());
    return 1;
  }
}
