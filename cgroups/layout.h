// Where the cgroup hierarchies are mounted and where the calling process sits in them.
//
// Mode: unified (only cgroup2), hybrid (v1 controllers plus a cgroup2 mount, usually at
// /sys/fs/cgroup/unified) or legacy (only v1). The backend is v2 only when cpu and memory
// both live on the unified hierarchy; a hybrid host whose cgroup2 holds just hugetlb (this
// project's CI host) is served by the v1 backend.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace skiff::cgroups {

enum class Mode { Unified, Hybrid, Legacy };
enum class Backend { V1, V2 };

std::string_view to_string(Mode mode);
std::string_view to_string(Backend backend);

// One mounted hierarchy: `root` is the hierarchy path that is mounted at `mountpoint`
// ("/" unless a cgroup namespace or a bind mount shows only a subtree).
struct Mount {
  std::filesystem::path mountpoint;
  std::string root = "/";
};

struct Layout {
  std::optional<Mount> unified;
  std::map<std::string, Mount> v1;            // controller (or "name=systemd") -> its hierarchy
  std::set<std::string> unified_controllers;  // <unified>/cgroup.controllers

  Mode mode() const;
  // Throws when neither hierarchy offers cpu and memory.
  Backend backend() const;

  // A layout for one cgroup2 tree at `mountpoint`, as on a pure v2 host.
  static Layout unified_at(const std::filesystem::path& mountpoint);
};

// Parses /proc/self/mountinfo text; the unified controllers are left empty.
Layout parse_mountinfo(std::string_view text);
// Parses the mount table and reads the unified root's cgroup.controllers.
Layout detect_layout(const std::filesystem::path& mountinfo = "/proc/self/mountinfo");

// The calling process's cgroups, as /proc/self/cgroup prints them.
struct SelfCgroup {
  std::optional<std::string> unified;     // the "0::" line
  std::map<std::string, std::string> v1;  // controller -> path
};

SelfCgroup parse_proc_cgroup(std::string_view text);
SelfCgroup read_self_cgroup(const std::filesystem::path& path = "/proc/self/cgroup");

// Directory of `cgroup_path` (a path as /proc/self/cgroup prints it) under `mount`.
// Throws when the path lies outside the mounted subtree.
std::filesystem::path resolve(const Mount& mount, std::string_view cgroup_path);

}  // namespace skiff::cgroups
