#include "cgroups/manager.h"

#include <sys/stat.h>

#include <cerrno>
#include <set>
#include <vector>

#include "cgroups/cgroupfs.h"
#include "cgroups/v1_cgroup.h"
#include "cgroups/v2_cgroup.h"
#include "cgroups/v2_delegation.h"
#include "common/error.h"
#include "common/file_io.h"

namespace skiff::cgroups {

namespace stdfs = std::filesystem;

namespace {

// The v1 hierarchies a Skiff cgroup spans (name=systemd and friends are systemd's).
const char* const kV1Controllers[] = {"cpu",  "cpuacct", "cpuset",  "memory",
                                      "pids", "blkio",   "freezer", "devices"};

std::vector<std::string> components(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::string join_path(const std::string& base, const std::string& rest) {
  if (rest.starts_with('/')) return rest;
  if (rest.empty()) return base;
  return base == "/" || base.empty() ? "/" + rest : base + "/" + rest;
}

// Removes, newest first, the directories a failed create made.
class CreatedDirs {
 public:
  CreatedDirs() = default;
  CreatedDirs(const CreatedDirs&) = delete;
  CreatedDirs& operator=(const CreatedDirs&) = delete;
  ~CreatedDirs() {
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
      try {
        fs::remove_dir(*it);
      } catch (...) {
        // Best effort while unwinding from the error that matters.
      }
    }
  }
  void mkdir(const stdfs::path& dir) {
    if (::mkdir(dir.c_str(), 0755) != 0) throw_errno("mkdir", dir);
    dirs_.push_back(dir);
  }
  void commit() { dirs_.clear(); }

 private:
  std::vector<stdfs::path> dirs_;
};

// A fresh v1 cpuset has empty cpus/mems and refuses tasks until they are filled in.
void inherit_cpuset(const stdfs::path& dir) {
  for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
    if (trim(read_file(dir / file)).empty()) {
      write_file(dir / file, trim(read_file(dir.parent_path() / file)));
    }
  }
}

}  // namespace

std::string validate_name(std::string_view name) {
  auto parts = components(name);
  if (parts.empty()) throw Error("cgroup name '" + std::string(name) + "': must not be empty");
  std::string out = name.starts_with('/') ? "/" : "";
  for (const auto& p : parts) {
    if (p == "." || p == "..") {
      throw Error("cgroup name '" + std::string(name) + "': must not contain '" + p + "'");
    }
    if (!out.empty() && out.back() != '/') out += '/';
    out += p;
  }
  return out;
}

Manager Manager::for_host(ManagerOptions options) {
  return Manager(detect_layout(), read_self_cgroup(), std::move(options));
}

Manager::Manager(Layout layout, SelfCgroup self, ManagerOptions options)
    : layout_(std::move(layout)),
      self_(std::move(self)),
      options_(std::move(options)),
      backend_(layout_.backend()) {
  if (!options_.parent.empty()) options_.parent = validate_name(options_.parent);
}

std::string Manager::parent_path(const std::string& controller) const {
  if (options_.parent.starts_with('/')) return options_.parent;
  std::string own = "/";
  if (controller.empty() && self_.unified) own = *self_.unified;
  if (!controller.empty()) {
    if (auto it = self_.v1.find(controller); it != self_.v1.end()) own = it->second;
  }
  // A caller that already moved itself into the leaf still places cgroups beside it.
  std::string suffix = "/" + options_.leaf;
  if (own.size() > suffix.size() && own.ends_with(suffix)) own.resize(own.size() - suffix.size());
  return join_path(own, options_.parent);
}

std::string Manager::cgroup_path(std::string_view name, const std::string& controller) const {
  return join_path(parent_path(controller), validate_name(name));
}

std::unique_ptr<Cgroup> Manager::create(std::string_view name, const Resources& r) const {
  std::string checked = validate_name(name);
  if (backend_ == Backend::V2) return create_v2(cgroup_path(checked), r, nullptr);
  return create_v1(checked, r, nullptr);
}

Manager::Joined Manager::create_or_join(std::string_view name, const Resources& r) const {
  std::string checked = validate_name(name);
  Joined out;
  out.cgroup = backend_ == Backend::V2 ? create_v2(cgroup_path(checked), r, &out.existed)
                                       : create_v1(checked, r, &out.existed);
  return out;
}

std::unique_ptr<Cgroup> Manager::create_v2(const std::string& path, const Resources& r,
                                           bool* existed) const {
  const Mount& mount = *layout_.unified;
  const stdfs::path& root = mount.mountpoint;
  stdfs::path dir = root;
  CreatedDirs created;
  auto parts = components(resolve(mount, path).lexically_relative(root).string());
  for (size_t i = 0; i < parts.size(); ++i) {
    stdfs::path next = dir / parts[i];
    if (fs::exists(next)) {
      if (i + 1 == parts.size()) {
        if (existed == nullptr) throw SysError("create cgroup", next, EEXIST);
        // Joined: its controllers come from the parent, which we may have to delegate.
        *existed = true;
        if (dir != root) enable_subtree_controllers(dir, options_.leaf);
      }
      dir = next;
      continue;
    }
    if (dir != root) enable_subtree_controllers(dir, options_.leaf);
    created.mkdir(next);
    dir = next;
  }
  auto cgroup = std::make_unique<V2Cgroup>(dir);
  cgroup->apply(r);
  created.commit();
  return cgroup;
}

std::unique_ptr<Cgroup> Manager::create_v1(const std::string& name, const Resources& r,
                                           bool* existed) const {
  std::map<std::string, stdfs::path> dirs;
  std::map<stdfs::path, std::string> first_controller;  // one mkdir per mounted hierarchy
  for (const char* c : kV1Controllers) {
    auto it = layout_.v1.find(c);
    if (it == layout_.v1.end()) continue;
    stdfs::path dir = resolve(it->second, join_path(parent_path(c), name));
    dirs[c] = dir;
    first_controller.try_emplace(dir, c);
  }
  for (const auto& [dir, controller] : first_controller) {
    if (!fs::exists(dir)) continue;
    if (existed == nullptr) throw SysError("create cgroup", dir, EEXIST);
    *existed = true;
  }
  CreatedDirs created;
  for (const auto& [dir, controller] : first_controller) {
    const stdfs::path mountpoint = layout_.v1.at(controller).mountpoint;
    const bool is_cpuset = dirs.contains("cpuset") && dirs.at("cpuset") == dir;
    std::vector<stdfs::path> missing;
    for (stdfs::path d = dir; d != mountpoint && !fs::exists(d); d = d.parent_path()) {
      missing.push_back(d);
    }
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
      created.mkdir(*it);
      if (is_cpuset) inherit_cpuset(*it);
    }
  }
  auto cgroup = std::make_unique<V1Cgroup>(std::move(dirs));
  cgroup->apply(r);
  created.commit();
  return cgroup;
}

std::unique_ptr<Cgroup> Manager::adopt(const std::vector<stdfs::path>& dirs) const {
  if (dirs.empty()) throw Error("adopt cgroup: no directories given");
  if (backend_ == Backend::V2) return std::make_unique<V2Cgroup>(dirs.front());
  std::map<std::string, stdfs::path> by_controller;
  for (const char* c : kV1Controllers) {
    auto it = layout_.v1.find(c);
    if (it == layout_.v1.end()) continue;
    for (const auto& d : dirs) {
      auto rel = d.lexically_relative(it->second.mountpoint);
      if (!rel.empty() && !rel.native().starts_with("..")) by_controller[c] = d;
    }
  }
  if (by_controller.empty()) {
    throw Error("adopt cgroup: " + dirs.front().string() + " lies in no mounted v1 hierarchy");
  }
  return std::make_unique<V1Cgroup>(std::move(by_controller));
}

std::unique_ptr<Cgroup> Manager::open(std::string_view name) const {
  std::string checked = validate_name(name);
  if (backend_ == Backend::V2) {
    stdfs::path dir = resolve(*layout_.unified, cgroup_path(checked));
    if (!fs::exists(dir)) throw SysError("open cgroup", dir, ENOENT);
    return std::make_unique<V2Cgroup>(dir);
  }
  std::map<std::string, stdfs::path> dirs;
  for (const char* c : kV1Controllers) {
    auto it = layout_.v1.find(c);
    if (it == layout_.v1.end()) continue;
    stdfs::path dir = resolve(it->second, join_path(parent_path(c), checked));
    if (fs::exists(dir)) dirs[c] = dir;
  }
  if (dirs.empty()) throw SysError("open cgroup", checked, ENOENT);
  return std::make_unique<V1Cgroup>(std::move(dirs));
}

}  // namespace skiff::cgroups
