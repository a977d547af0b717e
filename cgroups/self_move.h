// A freshly cloned child moving itself into a cgroup, where clone3(CLONE_INTO_CGROUP) is
// not to be had (v1, or a v2 kernel before 5.7).
//
// Writing another process's pid to cgroup.procs takes the kernel's threadgroup lock for
// writing, and that waits out an RCU grace period: 7–15 ms per move on this host's v1
// hierarchies. A thread that moves only itself ("0" into v1's `tasks`) skips the lock, and
// for a child that has not started a thread that is the whole process. v2's cgroup.threads
// cannot cross domains, so there the child writes "0" to cgroup.procs and pays the lock.
#pragma once

#include <filesystem>
#include <vector>

#include "cgroups/cgroup.h"
#include "common/unique_fd.h"

namespace skiff::cgroups {

class SelfMove {
 public:
  SelfMove() = default;
  // Opens, close-on-exec, the `tasks` file in each of a v1 cgroup's hierarchies, or a v2
  // cgroup's cgroup.procs.
  explicit SelfMove(const Cgroup& cgroup);

  // In the child, before it starts any thread. Async-signal-safe: returns 0, or an errno
  // with failed() the index of the file that refused.
  int apply() noexcept;
  // The same for callers that may throw: a SysError names the `tasks` file.
  void apply_or_throw();
  int failed() const noexcept { return failed_; }
  const std::filesystem::path& path(int index) const { return files_.at(index).path; }
  // Drops the fds, so that nothing the child runs later holds them.
  void close() noexcept { files_.clear(); }

 private:
  struct File {
    std::filesystem::path path;
    UniqueFd fd;
  };
  std::vector<File> files_;
  int failed_ = -1;
};

}  // namespace skiff::cgroups
