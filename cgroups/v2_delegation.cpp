#include "cgroups/v2_delegation.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <sstream>
#include <vector>

#include "cgroups/cgroupfs.h"
#include "common/error.h"
#include "common/file_io.h"

namespace skiff::cgroups {

namespace {

std::set<std::string> words(const std::filesystem::path& file) {
  std::set<std::string> out;
  std::istringstream in(read_file(file));
  for (std::string w; in >> w;) out.insert(w);
  return out;
}

bool holds(const std::filesystem::path& dir, pid_t pid) {
  auto pids = fs::read_pids(dir / "cgroup.procs");
  return std::find(pids.begin(), pids.end(), pid) != pids.end();
}

void move_self_into_leaf(const std::filesystem::path& dir, const std::string& leaf) {
  auto leaf_dir = dir / leaf;
  if (::mkdir(leaf_dir.c_str(), 0755) != 0 && errno != EEXIST) throw_errno("mkdir", leaf_dir);
  write_file(leaf_dir / "cgroup.procs", std::to_string(::getpid()));
}

}  // namespace

void enable_subtree_controllers(const std::filesystem::path& dir, const std::string& leaf) {
  static const char* const kWanted[] = {"cpu", "cpuset", "io", "memory", "pids"};
  const auto control = dir / "cgroup.subtree_control";
  auto available = words(dir / "cgroup.controllers");
  auto enabled = words(control);
  std::vector<std::string> missing;
  for (const char* c : kWanted) {
    if (available.contains(c) && !enabled.contains(c)) missing.emplace_back(c);
  }
  if (missing.empty()) return;

  // Leave first: enabling a threaded controller (cpu, cpuset, pids) while we are still
  // inside would make `dir` a thread root, and no process could join a domain child.
  if (holds(dir, ::getpid())) move_self_into_leaf(dir, leaf);
  auto others = fs::read_pids(dir / "cgroup.procs");
  if (!others.empty()) {
    throw Error("enable controllers in " + control.string() + ": " + dir.string() + " holds " +
                std::to_string(others.size()) +
                " other process(es) (first: " + std::to_string(others.front()) +
                "), and a cgroup with children must not (cgroup v2 'no internal processes')");
  }
  for (const auto& c : missing) {
    try {
      write_file(control, "+" + c);
    } catch (const SysError& e) {
      // The kernel may refuse one controller (cpuset in some setups); applying a limit
      // that needs it later fails with an error naming it.
      if (e.code() == EBUSY) throw;
    }
  }
}

}  // namespace skiff::cgroups
