// cgroupfs helpers both backends share: interface-file writes that name the controller,
// process lists, subtree walks, and rmdir that waits out dying tasks.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace skiff::cgroups::fs {

// Writes an interface file; a missing file becomes "controller X is not available in DIR".
void write_control(const std::filesystem::path& dir, std::string_view controller,
                   std::string_view file, std::string_view value);
bool exists(const std::filesystem::path& path);

std::vector<pid_t> read_pids(const std::filesystem::path& procs_file);
// Pids of `dir` and every sub-cgroup below it.
std::vector<pid_t> subtree_pids(const std::filesystem::path& dir);
// Sub-cgroup directories of `dir`, deepest first (safe order for rmdir).
std::vector<std::filesystem::path> subtree_dirs_deepest_first(const std::filesystem::path& dir);

// rmdir that retries EBUSY for `patience` (tasks that are exiting still pin a cgroup for a
// moment). ENOENT counts as success.
void remove_dir(const std::filesystem::path& dir,
                std::chrono::milliseconds patience = std::chrono::milliseconds(2000));
// Removes `dir` and its sub-cgroups, deepest first.
void remove_tree(const std::filesystem::path& dir);

// Polls `done` every few milliseconds until it returns true or `timeout` passes.
bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout);

// SIGKILLs every pid in `pids`; a pid that has already gone is not an error.
void kill_pids(const std::vector<pid_t>& pids);

}  // namespace skiff::cgroups::fs
