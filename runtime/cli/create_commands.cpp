// create, start, run.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.h"
#include "runtime/cli/commands.h"
#include "runtime/cli/log.h"
#include "runtime/create.h"
#include "runtime/lifecycle.h"

namespace skiff::runtime::cli {

namespace {

void add_create_options(CLI::App* cmd, CreateOptions& o, std::string& pid_file) {
  cmd->add_option("-b,--bundle", o.bundle, "bundle directory (default: current directory)");
  cmd->add_option("--pid-file", pid_file, "write the init's pid to this file");
  cmd->add_option("--console-socket", o.console_socket, "unix socket to send the pty master to");
  cmd->add_flag("--no-pivot", o.no_pivot, "use MS_MOVE+chroot instead of pivot_root");
  cmd->add_option("--preserve-fds", o.preserve_fds, "pass N extra fds (3..3+N-1) to the container");
  static bool no_new_keyring = false;  // accepted for runc compatibility; no keyring is made
  cmd->add_flag("--no-new-keyring", no_new_keyring, "accepted for runc compatibility");
  cmd->add_option("id", o.id, "container id")->required();
}

void finish_options(CreateOptions& o, const std::string& pid_file) {
  if (o.bundle.empty()) o.bundle = std::filesystem::current_path();
  if (!pid_file.empty()) o.pid_file = std::filesystem::absolute(pid_file);
}

// The init is our child after `run` created it: wait, forwarding signals the way runc does
// for a foreground container.
int wait_foreground(pid_t pid) {
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      sigprocmask(SIG_SETMASK, &old, nullptr);
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      return WEXITSTATUS(status);
    }
    timespec tick{0, 50 * 1000 * 1000};
    int sig = ::sigtimedwait(&all, nullptr, &tick);
    if (sig > 0 && sig != SIGCHLD) ::kill(pid, sig);
  }
}

}  // namespace

void add_create_commands(CLI::App& app, Action& action) {
  static CreateOptions create_opts;
  static std::string create_pid_file;
  auto* create = app.add_subcommand("create", "Create a container (its process waits for start)");
  add_create_options(create, create_opts, create_pid_file);
  create->callback([&action] {
    action = [](const StateDir& dir) {
      finish_options(create_opts, create_pid_file);
      create_opts.warn = log_warning;
      create_container(dir, create_opts);
      return 0;
    };
  });

  static std::string start_id;
  auto* start = app.add_subcommand("start", "Start the process of a created container");
  start->add_option("id", start_id, "container id")->required();
  start->callback([&action] {
    action = [](const StateDir& dir) {
      start_container(dir, start_id, log_warning);
      return 0;
    };
  });

  static CreateOptions run_opts;
  static std::string run_pid_file;
  static bool detach = false;
  auto* run = app.add_subcommand("run", "Create and start a container; wait for it unless -d");
  add_create_options(run, run_opts, run_pid_file);
  run->add_flag("-d,--detach", detach, "return once the container has started");
  run->callback([&action] {
    action = [](const StateDir& dir) {
      finish_options(run_opts, run_pid_file);
      run_opts.created_via_run = true;
      run_opts.warn = log_warning;
      pid_t pid = create_container(dir, run_opts);
      try {
        start_container(dir, run_opts.id, log_warning);
      } catch (...) {
        delete_container(dir, run_opts.id, true, log_warning);
        throw;
      }
      if (detach) return 0;
      int code = wait_foreground(pid);
      delete_container(dir, run_opts.id, true, log_warning);
      return code;
    };
  });
}

}  // namespace skiff::runtime::cli
