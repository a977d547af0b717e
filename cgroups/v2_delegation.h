// cgroup v2 subtree control: making controllers available to children of a cgroup we own.
#pragma once

#include <filesystem>
#include <string>

namespace skiff::cgroups {

// Enables cpu, cpuset, io, memory and pids (those the parent offers) in
// `dir`/cgroup.subtree_control. When `dir` is the caller's own cgroup and still holds the
// caller, the caller first moves itself into `dir`/`leaf` ("no internal processes").
// Never called for a hierarchy root. Controllers the kernel refuses are left out; applying
// a limit for one of them later fails with a message naming it.
void enable_subtree_controllers(const std::filesystem::path& dir, const std::string& leaf);

}  // namespace skiff::cgroups
