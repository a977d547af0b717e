// skiff-runtime: an OCI runtime with runc's command line, so podman, conmon and
// containerd can use it in place of runc.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "common/error.h"
#include "runtime/cli/commands.h"
#include "runtime/cli/log.h"

int main(int argc, char** argv) {
  using namespace skiff::runtime;
  CLI::App app{"skiff-runtime: run OCI containers (runc-compatible command line)"};
  app.set_version_flag("-v,--version", "skiff-runtime version 0.1.0\nspec: 1.1.0\n");
  app.require_subcommand(1);
  app.fallthrough();  // global options may also follow the verb

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

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  cli::configure_log(log);
  try {
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
