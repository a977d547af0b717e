// skiff-shim: the per-container monitor the agent launches (see monitor.h, daemonize.h and
// shim_client.h for the agent side). Usage:
//   skiff-shim --id ID --bundle DIR --state-dir DIR --runtime PATH [--runtime-root DIR]
//              [--log-driver file|journald|none] [--log-path FILE] [--log-max-size BYTES]
//              [--log-max-files N] [--name NAME] [--drain-timeout-ms MS] --ready-fd N
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "agent/shim/daemonize.h"
#include "agent/shim/monitor.h"
#include "agent/shim/shim_options.h"

namespace {

bool valid_id(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    char c = id[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-'))) return false;
  }
  return true;
}

// The shim runs in / after daemonize(): relative paths are resolved against the caller's
// working directory first.
void make_absolute(std::string& path) {
  if (path.empty() || path[0] == '/') return;
  char cwd[4096];
  if (::getcwd(cwd, sizeof cwd)) path = std::string(cwd) + "/" + path;
}

void report(int fd, const std::string& message) {
  std::string line = "error " + std::to_string(::getpid()) + " " + message;
  for (char& ch : line) {
    if (ch == '\n') ch = ' ';  // the report is one line
  }
  line += '\n';
  if (fd > 2) {
    if (::write(fd, line.data(), line.size()) < 0) {
      // the agent is gone; stderr below is all that is left
    }
  }
  std::fprintf(stderr, "skiff-shim: %s\n", message.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  skiff::agent::ShimOptions o;
  {
    CLI::App app{"skiff-shim: per-container monitor"};
    app.add_option("--id", o.id, "container id")->required();
    app.add_option("--bundle", o.bundle, "OCI bundle directory")->required();
    app.add_option("--state-dir", o.state_dir, "the shim's own files")->required();
    app.add_option("--runtime", o.runtime,
                   "skiff-runtime binary (searched in PATH without a slash)")
        ->required();
    app.add_option("--runtime-root", o.runtime_root, "the runtime's --root");
    app.add_option("--log-driver", o.log.driver, "file, journald or none")
        ->check(CLI::IsMember({"file", "journald", "none"}));
    app.add_option("--log-path", o.log.path, "log file (driver file)");
    app.add_option("--log-max-size", o.log.max_size, "rotate the log file at BYTES")
        ->check(CLI::Range(1ull, ~0ull));
    app.add_option("--log-max-files", o.log.max_files, "log files kept, current included")
        ->check(CLI::Range(1u, 1000u));
    app.add_option("--name", o.log.container_name, "container name (journald)");
    app.add_option("--drain-timeout-ms", o.drain_timeout_ms, "pipe drain after the init exits");
    app.add_option("--ready-fd", o.ready_fd, "fd for the one-line ready report")->required();
    app.add_flag("--start", o.start, "create and start in one runtime call (run --detach)");
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      if (e.get_exit_code() == 0) return app.exit(e);
      report(o.ready_fd, e.what());
      return 2;
    }
  }
  if (o.ready_fd <= 2) {
    report(-1, "--ready-fd must be above 2");
    return 2;
  }
  if (!valid_id(o.id)) {
    report(o.ready_fd, "--id '" + o.id + "': use letters, digits, '_', '.', '-'");
    return 2;
  }
  if (o.log.driver == "file" && o.log.path.empty()) {
    report(o.ready_fd, "--log-driver file needs --log-path");
    return 2;
  }
  o.log.container_id = o.id;
  for (std::string* p : {&o.bundle, &o.state_dir, &o.runtime_root, &o.log.path}) {
    make_absolute(*p);
  }
  if (o.runtime.find('/') != std::string::npos) make_absolute(o.runtime);  // else: PATH
  try {
    skiff::agent::daemonize(o.ready_fd);
  } catch (const std::exception& e) {
    report(o.ready_fd, e.what());
    return 1;
  }
  return skiff::agent::run_monitor(o);
}
