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

// runc stops parsing exec's options at the container id: `exec ID sh -c x` must not read
// -c as --cap. CLI11 keeps going, so put a "--" right after the id.
std::vector<std::string> protect_exec_command(int argc, char** argv) {
  static const std::set<std::string> kTakesValue = {"-p",
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
                                                    "--apparmor",
                                                    "--root",
                                                    "--log",
                                                    "--log-format"};
  std::vector<std::string> args(argv, argv + argc);
  auto exec = std::find(args.begin() + 1, args.end(), "exec");
  if (exec == args.end()) return args;
  for (auto it = exec + 1; it != args.end(); ++it) {
    if (*it == "--") return args;
    if (it->starts_with("-")) {
      if (kTakesValue.contains(*it) && it + 1 != args.end()) ++it;
      continue;
    }
    args.insert(it + 1, "--");  // *it is the id
    return args;
  }
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
  cli::add_exec_command(app, action);

  try {
    auto args = protect_exec_command(argc, argv);
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
