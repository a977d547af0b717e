// Creates and opens Skiff's cgroups on this host, picking the backend from the layout.
//
// Placement follows runc: a relative name goes beneath `parent`, which defaults to the
// cgroup the caller already runs in (/proc/self/cgroup, per hierarchy on v1); a name that
// starts with '/' is taken from the hierarchy root (OCI cgroupsPath). Nothing is ever
// moved to a hierarchy root, and the root's cgroup.subtree_control is never written.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cgroups/cgroup.h"
#include "cgroups/layout.h"

namespace skiff::cgroups {

struct ManagerOptions {
  // "" = the caller's own cgroup; "/a/b" = from the hierarchy root; "a/b" = below our own.
  std::string parent;
  // v2: a cgroup that gets children may not hold processes, so the caller moves itself
  // into this leaf of its own cgroup (systemd's Delegate=yes contract).
  std::string leaf = "supervisor";
};

class Manager {
 public:
  // Reads /proc/self/mountinfo, the unified root's controllers and /proc/self/cgroup.
  static Manager for_host(ManagerOptions options = {});
  Manager(Layout layout, SelfCgroup self, ManagerOptions options);

  Backend backend() const { return backend_; }
  const Layout& layout() const { return layout_; }

  // Creates a fresh cgroup (missing intermediate levels too) and applies `resources`.
  // Fails if it already exists. On failure every directory this call made is removed.
  std::unique_ptr<Cgroup> create(std::string_view name, const Resources& resources = {}) const;
  // Like create, but a cgroup that exists already is joined: used as it is (missing v1
  // hierarchies are created), with `resources` applied, as runc and crun do for an OCI
  // cgroupsPath. `existed` says whether any of its directories was there before.
  struct Joined {
    std::unique_ptr<Cgroup> cgroup;
    bool existed = false;
  };
  Joined create_or_join(std::string_view name, const Resources& resources = {}) const;
  // Opens an existing cgroup, e.g. to adopt a container after an agent restart.
  std::unique_ptr<Cgroup> open(std::string_view name) const;
  // Re-opens a cgroup from the directories Cgroup::paths() returned, e.g. from a state file
  // written by another process whose own cgroup may differ from ours.
  std::unique_ptr<Cgroup> adopt(const std::vector<std::filesystem::path>& dirs) const;
  // The cgroup path (as /proc/PID/cgroup shows it) that `name` maps to in `controller`'s
  // hierarchy; "" selects the unified hierarchy.
  std::string cgroup_path(std::string_view name, const std::string& controller = "") const;

 private:
  // `existed` null: an existing cgroup is an error (EEXIST); else it is joined and reported.
  std::unique_ptr<Cgroup> create_v2(const std::string& path, const Resources& r,
                                    bool* existed) const;
  std::unique_ptr<Cgroup> create_v1(const std::string& name, const Resources& r,
                                    bool* existed) const;
  std::string parent_path(const std::string& controller) const;

  Layout layout_;
  SelfCgroup self_;
  ManagerOptions options_;
  Backend backend_;
};

// Checks a cgroup name: no "..", no ".", no empty components. Returns it normalised
// (no trailing or repeated '/'); throws skiff::Error naming the problem.
std::string validate_name(std::string_view name);

}  // namespace skiff::cgroups
