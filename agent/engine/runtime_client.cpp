#include "agent/engine/runtime_client.h"

#include <nlohmann/json.hpp>
#include <utility>

#include "agent/engine/command.h"
#include "common/error.h"

namespace skiff::agent {
namespace {

constexpr std::chrono::seconds kCommandTimeout{30};

std::string first_line(const std::string& s) {
  auto nl = s.find('\n');
  std::string line = s.substr(0, nl);
  return line.empty() ? "(no output)" : line;
}

void check(const CommandResult& r, const std::string& what, const std::string& id) {
  if (r.ok()) return;
  if (r.timed_out) throw Error("skiff-runtime " + what + " " + id + ": timed out");
  throw Error("skiff-runtime " + what + " " + id + ": exit " + std::to_string(r.exit_code()) +
              ": " + first_line(r.output));
}

bool says_missing(const std::string& output) {
  return output.find("does not exist") != std::string::npos ||
         output.find("not found") != std::string::npos ||
         output.find("No such") != std::string::npos;
}

}  // namespace

RuntimeClient::RuntimeClient(std::filesystem::path runtime, std::filesystem::path root)
    : runtime_(std::move(runtime)), root_(std::move(root)) {}

std::vector<std::string> RuntimeClient::base() const {
  return {runtime_.string(), "--root", root_.string()};
}

void RuntimeClient::start(const std::string& id) const {
  auto argv = base();
  argv.insert(argv.end(), {"start", id});
  check(run_command(argv, kCommandTimeout), "start", id);
}

void RuntimeClient::kill(const std::string& id, int signal, bool all) const {
  auto argv = base();
  argv.push_back("kill");
  if (all) argv.push_back("--all");
  argv.insert(argv.end(), {id, std::to_string(signal)});
  check(run_command(argv, kCommandTimeout), "kill", id);
}

void RuntimeClient::remove(const std::string& id) const {
  auto argv = base();
  argv.insert(argv.end(), {"delete", "--force", id});
  auto r = run_command(argv, kCommandTimeout);
  if (!r.ok() && !says_missing(r.output)) check(r, "delete", id);
}

std::optional<std::string> RuntimeClient::status(const std::string& id) const {
  auto argv = base();
  argv.insert(argv.end(), {"state", id});
  auto r = run_command(argv, kCommandTimeout);
  if (!r.ok()) {
    if (says_missing(r.output)) return std::nullopt;
    check(r, "state", id);
  }
  // stdout and stderr are merged; the JSON document is the first '{' onwards.
  auto brace = r.output.find('{');
  if (brace == std::string::npos) throw Error("skiff-runtime state " + id + ": no JSON output");
  auto doc = nlohmann::json::parse(r.output.substr(brace), nullptr, false);
  if (doc.is_discarded() || !doc.contains("status") || !doc["status"].is_string()) {
    throw Error("skiff-runtime state " + id + ": unexpected output: " + first_line(r.output));
  }
  return doc["status"].get<std::string>();
}

std::vector<std::string> RuntimeClient::exec_argv(const std::string& id,
                                                  const std::vector<std::string>& command) const {
  auto argv = base();
  argv.insert(argv.end(), {"exec", id});
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

}  // namespace skiff::agent
