#include "cgroups/layout.h"

#include <cerrno>
#include <sstream>
#include <vector>

#include "common/error.h"
#include "common/file_io.h"
#include "common/mountinfo.h"

namespace skiff::cgroups {

std::string_view to_string(Mode mode) {
  switch (mode) {
    case Mode::Unified:
      return "unified";
    case Mode::Hybrid:
      return "hybrid";
    case Mode::Legacy:
      return "legacy";
  }
  return "?";
}

std::string_view to_string(Backend backend) {
  return backend == Backend::V2 ? "v2" : "v1";
}

Mode Layout::mode() const {
  bool has_v1 = false;
  for (const auto& [controller, mount] : v1) {
    if (!controller.starts_with("name=")) has_v1 = true;
  }
  if (unified && !has_v1) return Mode::Unified;
  return unified ? Mode::Hybrid : Mode::Legacy;
}

Backend Layout::backend() const {
  if (unified && unified_controllers.contains("cpu") && unified_controllers.contains("memory")) {
    return Backend::V2;
  }
  if (v1.contains("cpu") && v1.contains("memory")) return Backend::V1;
  throw Error("no cgroup hierarchy offers both the cpu and memory controllers (cgroup2: " +
              std::string(unified ? unified->mountpoint.string() : "not mounted") + ")");
}

Layout Layout::unified_at(const std::filesystem::path& mountpoint) {
  Layout layout;
  layout.unified = Mount{mountpoint, "/"};
  std::istringstream in(read_file(mountpoint / "cgroup.controllers"));
  for (std::string c; in >> c;) layout.unified_controllers.insert(c);
  return layout;
}

namespace {

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t pos = s.find(sep, start);
    out.emplace_back(s.substr(start, pos - start));
    if (pos == std::string_view::npos) return out;
    start = pos + 1;
  }
}

}  // namespace

Layout parse_mountinfo(std::string_view text) {
  static const std::set<std::string> kMountFlags = {
      "rw",     "ro",       "relatime",      "noatime",
      "nosuid", "nodev",    "noexec",        "clone_children",
      "xattr",  "noprefix", "cpuset_v2_mode"};
  Layout layout;
  for (const auto& m : parse_mountinfo_text(text)) {
    Mount mount{m.mount_point, m.root};
    if (m.fs_type == "cgroup2") {
      if (!layout.unified) layout.unified = mount;
    } else if (m.fs_type == "cgroup") {
      for (const auto& opt : split(m.super_options, ',')) {
        if (kMountFlags.contains(opt) || opt.starts_with("release_agent=")) continue;
        layout.v1.try_emplace(opt, mount);
      }
    }
  }
  return layout;
}

Layout detect_layout(const std::filesystem::path& mountinfo) {
  Layout layout = parse_mountinfo(read_file(mountinfo));
  if (layout.unified) {
    std::istringstream in(read_file(layout.unified->mountpoint / "cgroup.controllers"));
    for (std::string c; in >> c;) layout.unified_controllers.insert(c);
  }
  return layout;
}

SelfCgroup parse_proc_cgroup(std::string_view text) {
  SelfCgroup self;
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) {
    // "4:memory:/user.slice" or "0::/init.scope"; the path may itself contain ':'.
    size_t a = line.find(':');
    size_t b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    std::string controllers = line.substr(a + 1, b - a - 1);
    std::string path = line.substr(b + 1);
    if (controllers.empty()) {
      self.unified = path;
      continue;
    }
    for (const auto& c : split(controllers, ',')) self.v1[c] = path;
  }
  return self;
}

SelfCgroup read_self_cgroup(const std::filesystem::path& path) {
  return parse_proc_cgroup(read_file(path));
}

std::filesystem::path resolve(const Mount& mount, std::string_view cgroup_path) {
  std::string_view rel = cgroup_path;
  std::string_view root = mount.root;
  if (root != "/") {
    if (!rel.starts_with(root) || (rel.size() > root.size() && rel[root.size()] != '/')) {
      throw Error("cgroup " + std::string(cgroup_path) + " is outside the hierarchy mounted at " +
                  mount.mountpoint.string() + " (mount root " + mount.root + ")");
    }
    rel.remove_prefix(root.size());
  }
  while (rel.starts_with('/')) rel.remove_prefix(1);
  return rel.empty() ? mount.mountpoint : mount.mountpoint / rel;
}

}  // namespace skiff::cgroups
