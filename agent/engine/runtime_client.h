// The agent's calls into skiff-runtime, through its runc-compatible CLI. The agent is
// multi-threaded and must not clone containers itself; the shim runs `create`, the agent
// runs the short commands below.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace skiff::agent {

class RuntimeClient {
 public:
  RuntimeClient(std::filesystem::path runtime, std::filesystem::path root);

  const std::filesystem::path& binary() const { return runtime_; }
  const std::filesystem::path& root() const { return root_; }

  void start(const std::string& id) const;
  // `signal` is a number; `all` signals every process in the container.
  void kill(const std::string& id, int signal, bool all = false) const;
  // Removes the container; a container that does not exist is not an error.
  void remove(const std::string& id) const;
  // "created", "running", "paused" or "stopped"; nullopt if the runtime has no such id.
  std::optional<std::string> status(const std::string& id) const;
  // Argument vector for `exec` of `command` in the container (health checks, skiffctl).
  std::vector<std::string> exec_argv(const std::string& id,
                                     const std::vector<std::string>& command) const;

 private:
  std::vector<std::string> base() const;
  std::filesystem::path runtime_;
  std::filesystem::path root_;
};

}  // namespace skiff::agent
