// Runs a real skiff-agent process (with real skiff-shim and skiff-runtime) in a private
// directory tree, and talks to it over its real local API socket.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace skiff::test {

struct HttpReply {
  int status = 0;
  std::string body;
  nlohmann::json json() const;
};

// One HTTP/1.1 request over a unix socket (Boost.Beast).
HttpReply http_unix(const std::filesystem::path& socket, const std::string& method,
                    const std::string& target, const std::string& body = "");

struct CommandResult {
  int code = -1;       // the exit status; -1 if it could not run or died of a signal
  std::string output;  // what it printed on stdout (add 2>&1 to the command for stderr)
};
// Runs `cmd` through sh.
CommandResult run_command(const std::string& cmd);

// The test image "localhost/skiff-agent-test:latest" (busybox + skiff-probe), built once
// per process with umoci and imported into `image_store`.
void import_test_image(const std::filesystem::path& image_store);
inline constexpr const char* kTestImage = "localhost/skiff-agent-test:latest";

class Agent {
 public:
  // `root` holds state/, run/, logs/ and tasks.d/; it is created.
  explicit Agent(std::filesystem::path root);
  ~Agent();  // drains, stops the agent, unmounts and removes the tree

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path state() const { return root_ / "state"; }
  std::filesystem::path run() const { return root_ / "run"; }
  std::filesystem::path socket() const { return run() / "agent.sock"; }
  std::filesystem::path runtime_root() const { return run() / "runtime"; }
  std::filesystem::path tasks_dir() const { return root_ / "tasks.d"; }
  pid_t pid() const { return pid_; }

  // Runs the agent (and so its containers) in network namespace /run/netns/NAME, through
  // nsenter(1) --net (only the network namespace changes); empty: the caller's. Applies to
  // the next start() or spawn().
  void set_netns(std::string name) { netns_ = std::move(name); }
  // Starts the agent and waits until its local API answers (fails the test otherwise).
  void start(const std::vector<std::string>& extra_env = {});
  // Starts the agent without waiting for anything.
  void spawn(const std::vector<std::string>& extra_env = {});
  // Waits for the agent to exit: its exit status (128+N for signal N), or nullopt if it
  // still runs after `timeout`.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  void kill(int sig);  // and reap
  bool running() const { return pid_ > 0; }

  HttpReply request(const std::string& method, const std::string& target,
                    const std::string& body = "") const;
  // POST /v1/tasks; returns the task id (fails the test on a non-201).
  std::string run_task(const nlohmann::json& definition) const;
  nlohmann::json task(const std::string& id) const;
  void stop_task(const std::string& id, const std::string& reason = "test") const;
  // Polls the task until `pred` holds; returns the last view. Fails the test on timeout.
  nlohmann::json wait_task(const std::string& id,
                           const std::function<bool(const nlohmann::json&)>& pred,
                           std::chrono::seconds timeout, const std::string& what) const;
  nlohmann::json wait_status(const std::string& id, const std::string& status,
                             std::chrono::seconds timeout = std::chrono::seconds(60)) const;
  // Container ids skiff-runtime has in our runtime root.
  std::vector<std::string> runtime_containers() const;
  std::string log_text() const;  // the agent's own stderr

 private:
  std::filesystem::path root_;
  std::string netns_;
  pid_t pid_ = -1;
};

// A container definition running skiff-probe with `args`.
nlohmann::json probe_container(const std::string& name, const std::vector<std::string>& args);
nlohmann::json task_definition(const std::string& family, const nlohmann::json& containers);
const nlohmann::json& container(const nlohmann::json& task, const std::string& name);

}  // namespace skiff::test
