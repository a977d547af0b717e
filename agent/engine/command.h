// Runs helper programs (skiff-runtime, health checks) from the multi-threaded agent.
//
// posix_spawn only: fork() in a threaded process may copy a locked malloc arena into the
// child. Each command gets its own process group so a timeout kills the whole tree.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/unique_fd.h"

namespace skiff::agent {

struct CommandResult {
  int wait_status = 0;  // as waitpid reports it
  bool timed_out = false;
  std::string output;  // stdout and stderr, merged and capped

  bool ok() const;
  // The exit code, 128+signal for a signalled process (the shell convention), or -1.
  int exit_code() const;
};

// A command running in the background; poll() until it returns a result.
class AsyncCommand {
 public:
  AsyncCommand() = default;
  AsyncCommand(AsyncCommand&&) noexcept;
  AsyncCommand& operator=(AsyncCommand&&) noexcept;
  AsyncCommand(const AsyncCommand&) = delete;
  AsyncCommand& operator=(const AsyncCommand&) = delete;
  // Kills and reaps a command still running.
  ~AsyncCommand();

  static AsyncCommand spawn(const std::vector<std::string>& argv,
                            std::size_t output_cap = 64 << 10);

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  // The read end of the output pipe (-1 once it hit EOF), for poll().
  int output_fd() const { return out_.get(); }
  // Reads pending output and reaps the process if it has exited.
  std::optional<CommandResult> poll();
  // SIGKILLs the process group, reaps it, and returns what it had printed.
  CommandResult kill();

 private:
  void drain();
  pid_t pid_ = -1;
  UniqueFd out_;
  std::string output_;
  std::size_t cap_ = 0;
};

// Runs to completion; kills the process group after `timeout`.
CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                          std::size_t output_cap = 64 << 10);

}  // namespace skiff::agent
