#include "runtime/hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "common/argv.h"
#include "common/error.h"
#include "common/unique_fd.h"

namespace skiff::runtime {

namespace {

std::string describe(int status) {
  if (WIFEXITED(status)) return "exited " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("killed by ") + ::strsignal(WTERMSIG(status));
  return "failed";
}

void run_one(const oci::Hook& hook, const std::string& stage, const std::string& state) {
  int in[2];
  if (::pipe2(in, O_CLOEXEC) != 0) throw_errno("pipe2 for", stage + " hook " + hook.path);
  UniqueFd rd(in[0]), wr(in[1]);
  std::vector<std::string> args =
      hook.args.empty() ? std::vector<std::string>{hook.path} : hook.args;
  auto argv = c_argv(args);
  auto envp = c_argv(hook.env);
  pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork for", stage + " hook " + hook.path);
  if (pid == 0) {
    ::dup2(rd.get(), 0);
    ::execve(hook.path.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  rd.reset();
  // A hook that does not read its stdin must not block us: ignore EPIPE.
  ::signal(SIGPIPE, SIG_IGN);
  (void)!::write(wr.get(), state.data(), state.size());
  wr.reset();

  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(hook.timeout.value_or(0));
  int status = 0;
  for (;;) {
    pid_t r = ::waitpid(pid, &status, hook.timeout ? WNOHANG : 0);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) throw_errno("waitpid for", stage + " hook " + hook.path);
    if (hook.timeout && std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      throw Error(stage + " hook " + hook.path + ": timed out after " +
                  std::to_string(*hook.timeout) + " s");
    }
    if (hook.timeout) ::poll(nullptr, 0, 10);
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string why = describe(status);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127) why += " (could not be executed?)";
    throw Error(stage + " hook " + hook.path + ": " + why);
  }
}

}  // namespace

void run_hooks(const std::vector<oci::Hook>& hooks, const std::string& stage,
               const nlohmann::json& state) {
  const std::string text = state.dump();
  for (const auto& h : hooks) run_one(h, stage, text);
}

std::vector<std::string> run_all_hooks(const std::vector<oci::Hook>& hooks,
                                       const std::string& stage, const nlohmann::json& state) {
  const std::string text = state.dump();
  std::vector<std::string> failures;
  for (const auto& h : hooks) {
    try {
      run_one(h, stage, text);
    } catch (const std::exception& e) {
      failures.emplace_back(e.what());
    }
  }
  return failures;
}

std::vector<oci::Hook> hooks_from_json(const nlohmann::json& hooks, const std::string& stage) {
  std::vector<oci::Hook> out;
  if (!hooks.is_object() || !hooks.contains(stage)) return out;
  for (const auto& h : hooks.at(stage)) {
    oci::Hook hook;
    hook.path = h.value("path", "");
    hook.args = h.value("args", std::vector<std::string>{});
    hook.env = h.value("env", std::vector<std::string>{});
    if (h.contains("timeout")) hook.timeout = h.at("timeout").get<int>();
    out.push_back(std::move(hook));
  }
  return out;
}

}  // namespace skiff::runtime
