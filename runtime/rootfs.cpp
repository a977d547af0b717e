#include "runtime/rootfs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "common/error.h"
#include "common/unique_fd.h"

namespace skiff::runtime {

namespace fs = std::filesystem;

namespace {

void do_mount(const std::string& source, const fs::path& target, const std::string& type,
              unsigned long flags, const std::string& data) {
  if (::mount(source.empty() ? nullptr : source.c_str(), target.c_str(),
              type.empty() ? nullptr : type.c_str(), flags,
              data.empty() ? nullptr : data.c_str()) != 0) {
    std::string what = "mount";
    if (!type.empty()) what += " " + type;
    if (!source.empty()) what += " " + source;
    throw_errno(what + " at", target);
  }
}

// Creates the mount point: a directory, or an empty file when binding a file.
void make_mount_point(const fs::path& target, bool as_file) {
  std::error_code ec;
  if (fs::exists(target, ec)) return;
  fs::create_directories(as_file ? target.parent_path() : target, ec);
  if (ec)
    throw SysError("mkdir -p", (as_file ? target.parent_path() : target).string(), ec.value());
  if (as_file) {
    UniqueFd fd(::open(target.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
    if (!fd) throw_errno("create mount point", target);
  }
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Bind mounts ignore most flags on the first call; they apply only on a remount.
void mount_bind(const oci::Mount& m, const fs::path& target) {
  do_mount(m.source, target, "", MS_BIND | (m.flags & MS_REC), "");
  const unsigned long kRemountable = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME |
                                     MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME;
  if (m.flags & kRemountable) {
    do_mount("", target, "", MS_BIND | MS_REMOUNT | (m.flags & kRemountable), "");
  }
}

// A "cgroup" mount shows the container its own cgroup, read-only as the spec's mount says.
void mount_cgroup(const oci::Mount& m, const fs::path& target, const CgroupView& cg) {
  const unsigned long common = m.flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME);
  if (cg.unified) {
    // In its own cgroup namespace a fresh cgroup2 mount shows exactly the container's
    // cgroup; without one it would show the host's whole tree, so bind ours instead.
    if (cg.own_namespace) {
      do_mount("cgroup2", target, "cgroup2", common | (m.flags & MS_RDONLY), "");
      return;
    }
    if (cg.dirs.empty()) throw Error("cgroup mount at " + target.string() + ": no cgroup to show");
    do_mount(cg.dirs.front().string(), target, "", MS_BIND | MS_REC, "");
    if (m.flags & MS_RDONLY)
      do_mount("", target, "", MS_BIND | MS_REMOUNT | MS_RDONLY | common, "");
    return;
  }
  // v1: a tmpfs with one bind mount per hierarchy, each showing only our cgroup.
  do_mount("tmpfs", target, "tmpfs", common, "mode=755");
  for (const auto& dir : cg.dirs) {
    // dir = /sys/fs/cgroup/<hierarchy>/<our path>: the hierarchy's name is the component
    // just below /sys/fs/cgroup in the host's layout.
    fs::path rel = dir.lexically_relative("/sys/fs/cgroup");
    if (rel.empty() || rel.native().starts_with("..")) continue;
    fs::path sub = target / *rel.begin();
    make_mount_point(sub, false);
    do_mount(dir.string(), sub, "", MS_BIND | MS_REC, "");
    if (m.flags & MS_RDONLY) do_mount("", sub, "", MS_BIND | MS_REMOUNT | MS_RDONLY | common, "");
  }
  if (m.flags & MS_RDONLY) do_mount("", target, "", MS_REMOUNT | MS_RDONLY | common, "mode=755");
}

}  // namespace

fs::path secure_join(const fs::path& rootfs, const std::string& path) {
  fs::path out = rootfs;
  int links = 0;
  std::vector<std::string> todo;
  for (const auto& part : fs::path(path)) {
    if (part != "/" && !part.empty()) todo.push_back(part.string());
  }
  std::reverse(todo.begin(), todo.end());
  while (!todo.empty()) {
    std::string part = todo.back();
    todo.pop_back();
    if (part == ".") continue;
    if (part == "..") {
      if (out != rootfs) out = out.parent_path();
      continue;
    }
    fs::path next = out / part;
    std::error_code ec;
    if (fs::is_symlink(next, ec)) {
      if (++links > 40) throw SysError("resolve", path, ELOOP);
      fs::path target = fs::read_symlink(next, ec);
      std::vector<std::string> more;
      for (const auto& p : target) {
        if (p != "/" && !p.empty()) more.push_back(p.string());
      }
      for (auto it = more.rbegin(); it != more.rend(); ++it) todo.push_back(*it);
      if (target.is_absolute()) out = rootfs;
      continue;
    }
    out = next;
  }
  return out;
}

void prepare_rootfs(const fs::path& rootfs, unsigned long propagation) {
  // pivot_root refuses a shared mount (EINVAL) and a bind of an unbindable one fails too:
  // only slave and private are safe before the pivot; apply_root_propagation does the rest.
  const unsigned long before =
      propagation & (MS_SLAVE | MS_PRIVATE) ? propagation : (MS_REC | MS_PRIVATE);
  do_mount("", "/", "", before, "");
  do_mount(rootfs.string(), rootfs, "", MS_BIND | MS_REC, "");
}

void apply_root_propagation(unsigned long propagation) {
  if (propagation & (MS_SHARED | MS_UNBINDABLE)) do_mount("", "/", "", propagation, "");
}

void mount_all(const fs::path& rootfs, const std::vector<oci::Mount>& mounts,
               const CgroupView& cgroup) {
  for (const auto& m : mounts) {
    fs::path target = secure_join(rootfs, m.destination);
    if (m.type == "cgroup" || m.type == "cgroup2") {
      make_mount_point(target, false);
      mount_cgroup(m, target, cgroup);
    } else if (m.is_bind()) {
      make_mount_point(target, !is_directory(m.source));
      mount_bind(m, target);
    } else {
      make_mount_point(target, false);
      do_mount(m.source, target, m.type, m.flags & ~MS_REMOUNT, m.data);
    }
    if (m.propagation) do_mount("", target, "", m.propagation, "");
  }
}

void populate_dev(const fs::path& rootfs, const std::vector<oci::Device>& devices,
                  bool in_user_namespace) {
  struct Dev {
    const char* path;
    unsigned major, minor;
  };
  static const Dev kDefault[] = {{"/dev/null", 1, 3},   {"/dev/zero", 1, 5},    {"/dev/full", 1, 7},
                                 {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0}};
  auto make = [&](const std::string& path, mode_t type, unsigned major, unsigned minor, mode_t perm,
                  uid_t uid, gid_t gid) {
    fs::path target = secure_join(rootfs, path);
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    if (in_user_namespace) {
      // mknod is not allowed in a user namespace: bind the host's node instead.
      make_mount_point(target, true);
      do_mount(path, target, "", MS_BIND, "");
      return;
    }
    ::unlink(target.c_str());
    if (::mknod(target.c_str(), type | perm, makedev(major, minor)) != 0)
      throw_errno("mknod", target);
    if (::chmod(target.c_str(), perm) != 0) throw_errno("chmod", target);
    if (::chown(target.c_str(), uid, gid) != 0) throw_errno("chown", target);
  };
  for (const auto& d : kDefault) make(d.path, S_IFCHR, d.major, d.minor, 0666, 0, 0);
  for (const auto& d : devices) {
    mode_t type = d.type == 'b' ? S_IFBLK : d.type == 'p' ? S_IFIFO : S_IFCHR;
    make(d.path, type, static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor),
         d.file_mode.value_or(0666) & 07777, d.uid.value_or(0), d.gid.value_or(0));
  }
  struct Link {
    const char* target;
    const char* path;
  };
  static const Link kLinks[] = {
      {"/proc/self/fd", "/dev/fd"},       {"/proc/self/fd/0", "/dev/stdin"},
      {"/proc/self/fd/1", "/dev/stdout"}, {"/proc/self/fd/2", "/dev/stderr"},
      {"pts/ptmx", "/dev/ptmx"},          {"/proc/kcore", "/dev/core"}};
  for (const auto& l : kLinks) {
    fs::path at = secure_join(rootfs, l.path);
    ::unlink(at.c_str());
    if (::symlink(l.target, at.c_str()) != 0 && errno != EEXIST) throw_errno("symlink", at);
  }
}

void enter_rootfs(const fs::path& rootfs, bool no_pivot) {
  if (::chdir(rootfs.c_str()) != 0) throw_errno("chdir", rootfs);
  if (no_pivot) {
    do_mount(rootfs.string(), "/", "", MS_MOVE, "");
    if (::chroot(".") != 0) throw_errno("chroot", rootfs);
  } else {
    // pivot_root(".", ".") stacks the old root on top of the new one; detach it right away.
    if (::syscall(SYS_pivot_root, ".", ".") != 0) throw_errno("pivot_root", rootfs);
    if (::umount2(".", MNT_DETACH) != 0) throw_errno("umount old root under", rootfs);
  }
  if (::chdir("/") != 0) throw_errno("chdir", "/");
}

void chroot_into(const fs::path& rootfs) {
  if (::chdir(rootfs.c_str()) != 0) throw_errno("chdir", rootfs);
  if (::chroot(".") != 0) throw_errno("chroot", rootfs);
  if (::chdir("/") != 0) throw_errno("chdir", "/");
}

void lock_down_paths(const oci::LinuxConfig& lc, bool root_readonly) {
  for (const auto& p : lc.readonly_paths) {
    if (::mount(p.c_str(), p.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
      if (errno == ENOENT) continue;
      throw_errno("bind for read-only", p);
    }
    do_mount("", p, "", MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "");
  }
  for (const auto& p : lc.masked_paths) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) {
      if (errno == ENOENT) continue;
      throw_errno("stat masked path", p);
    }
    if (S_ISDIR(st.st_mode)) {
      do_mount("tmpfs", p, "tmpfs", MS_RDONLY, "size=0k");
    } else {
      do_mount("/dev/null", p, "", MS_BIND, "");
    }
  }
  if (root_readonly) do_mount("", "/", "", MS_BIND | MS_REMOUNT | MS_RDONLY, "");
}

}  // namespace skiff::runtime
