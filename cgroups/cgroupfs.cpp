#include "cgroups/cgroupfs.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <sstream>
#include <system_error>
#include <thread>

#include "common/error.h"
#include "common/file_io.h"

namespace skiff::cgroups::fs {

namespace stdfs = std::filesystem;

void write_control(const stdfs::path& dir, std::string_view controller, std::string_view file,
                   std::string_view value) {
  try {
    write_file(dir / file, value);
  } catch (const SysError& e) {
    if (e.code() != ENOENT) throw;
    throw Error("controller " + std::string(controller) + " is not available in " + dir.string() +
                " (" + std::string(file) + " does not exist)");
  }
}

bool exists(const stdfs::path& path) {
  return ::access(path.c_str(), F_OK) == 0;
}

std::vector<pid_t> read_pids(const stdfs::path& procs_file) {
  std::vector<pid_t> pids;
  std::istringstream in(read_file(procs_file));
  for (pid_t pid; in >> pid;) pids.push_back(pid);
  return pids;
}

std::vector<stdfs::path> subtree_dirs_deepest_first(const stdfs::path& dir) {
  std::vector<stdfs::path> dirs;
  std::error_code ec;
  for (stdfs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) dirs.push_back(it->path());
  }
  // Longer paths are deeper: removing in that order never meets a non-empty directory.
  std::sort(dirs.begin(), dirs.end(), [](const stdfs::path& a, const stdfs::path& b) {
    return a.native().size() > b.native().size();
  });
  return dirs;
}

std::vector<pid_t> subtree_pids(const stdfs::path& dir) {
  std::vector<pid_t> pids;
  auto add = [&](const stdfs::path& d) {
    try {
      auto more = read_pids(d / "cgroup.procs");
      pids.insert(pids.end(), more.begin(), more.end());
    } catch (const SysError& e) {
      if (e.code() != ENOENT) throw;  // a sub-cgroup removed while we walked
    }
  };
  add(dir);
  for (const auto& sub : subtree_dirs_deepest_first(dir)) add(sub);
  return pids;
}

void remove_dir(const stdfs::path& dir, std::chrono::milliseconds patience) {
  auto deadline = std::chrono::steady_clock::now() + patience;
  auto delay = std::chrono::milliseconds(1);
  for (;;) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return;
    if (errno != EBUSY || std::chrono::steady_clock::now() >= deadline) throw_errno("rmdir", dir);
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(50));
  }
}

void remove_tree(const stdfs::path& dir) {
  for (const auto& sub : subtree_dirs_deepest_first(dir)) remove_dir(sub);
  remove_dir(dir);
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto delay = std::chrono::microseconds(200);
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::microseconds(20000));
  }
}

void kill_pids(const std::vector<pid_t>& pids) {
  for (pid_t pid : pids) {
    if (::kill(pid, SIGKILL) != 0 && errno != ESRCH) {
      throw_errno("kill -KILL", std::to_string(pid));
    }
  }
}

}  // namespace skiff::cgroups::fs
