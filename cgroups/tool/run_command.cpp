#include "cgroups/tool/run_command.h"

#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "cgroups/manager.h"
#include "cgroups/spawn.h"
#include "common/error.h"

namespace skiff::cgroups::tool {

namespace {

std::string describe_status(int status) {
  if (WIFEXITED(status)) return fmt::format("exited {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return fmt::format("killed by signal {} ({})", WTERMSIG(status), ::strsignal(WTERMSIG(status)));
  }
  return "stopped";
}

std::string limit_text(std::uint64_t v) {
  return v == kNoLimit ? "max" : std::to_string(v);
}

void print_report(const RunRequest& req, const Cgroup& cg, const Stats& s, int status,
                  double wall_s, SpawnPath path) {
  if (req.json) {
    nlohmann::json j = {{"cgroup", cg.paths().front().string()},
                        {"backend", std::string(to_string(cg.backend()))},
                        {"status", describe_status(status)},
                        {"oomKilled", s.oom_kill_events > 0},
                        {"wallSeconds", wall_s},
                        {"cpu",
                         {{"usageUsec", s.cpu_usage_usec},
                          {"nrPeriods", s.cpu_nr_periods},
                          {"nrThrottled", s.cpu_nr_throttled},
                          {"throttledUsec", s.cpu_throttled_usec}}},
                        {"memory",
                         {{"peak", s.memory_peak.value_or(s.memory_current)},
                          {"limit", limit_text(s.memory_limit)},
                          {"oomKill", s.oom_kill_events}}},
                        {"pids", {{"limit", limit_text(s.pids_limit)}}}};
    fmt::print("{}\n", j.dump(2));
    return;
  }
  auto paths = cg.paths();
  fmt::print("cgroup     {}{} ({} backend, {})\n", paths.front().string(),
             paths.size() > 1 ? fmt::format(" and {} more hierarchies", paths.size() - 1) : "",
             to_string(cg.backend()),
             path == SpawnPath::CloneIntoCgroup ? "clone3 CLONE_INTO_CGROUP"
                                                : "fork, then the child moves itself");
  fmt::print("status     {}{}\n", describe_status(status),
             s.oom_kill_events > 0 ? "  <- OOM-killed by the memory limit" : "");
  double cpu_s = static_cast<double>(s.cpu_usage_usec) / 1e6;
  fmt::print(
      "cpu        {:.2f} s over {:.2f} s wall = {:.0f}% of one CPU; throttled {} of {} periods\n",
      cpu_s, wall_s, wall_s > 0 ? 100.0 * cpu_s / wall_s : 0.0, s.cpu_nr_throttled,
      s.cpu_nr_periods);
  fmt::print("memory     peak {} MiB, limit {}, oom_kill {}\n",
             s.memory_peak.value_or(s.memory_current) / (1024 * 1024),
             s.memory_limit == kNoLimit ? std::string("max")
                                        : fmt::format("{} MiB", s.memory_limit / (1024 * 1024)),
             s.oom_kill_events);
  fmt::print("pids       limit {}\n", limit_text(s.pids_limit));
}

}  // namespace

int run_command(const RunRequest& req) {
  Manager manager = Manager::for_host({.parent = req.parent});
  auto cgroup = manager.create(req.name, req.resources);
  CgroupGuard guard(*cgroup);  // kill and remove on every path out of here

  auto start = std::chrono::steady_clock::now();
  Spawned child = spawn_in(*cgroup, req.argv);
  int status = 0;
  while (::waitpid(child.pid, &status, 0) < 0) {
    if (errno != EINTR) throw_errno("waitpid", std::to_string(child.pid));
  }
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  cgroup->kill_all();  // stragglers the command left behind
  print_report(req, *cgroup, cgroup->stats(), status, wall, child.path);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

}  // namespace skiff::cgroups::tool
