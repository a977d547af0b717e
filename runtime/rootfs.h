// Building the container's filesystem view inside its new mount namespace. Every step
// throws skiff::SysError naming the syscall and the path, which the init forwards to the
// parent as "mount /proc at /run/.../rootfs/proc: Permission denied (errno 13)".
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "runtime/spec/spec.h"

namespace skiff::runtime {

// The container's cgroup directories on the host (the v1 hierarchies, or one v2 dir), so a
// "cgroup" mount can show the container its own cgroup.
struct CgroupView {
  bool unified = false;
  bool own_namespace = false;  // a cgroup namespace rooted at the container's cgroup
  std::vector<std::filesystem::path> dirs;
};

// Makes the whole tree slave (when linux.rootfsPropagation asks for it) or private, so
// nothing leaks back to the host, then bind-mounts the rootfs onto itself (pivot_root needs
// a mount point).
void prepare_rootfs(const std::filesystem::path& rootfs, unsigned long propagation);
// Without a mount namespace of its own: chroot, since pivot_root or MS_MOVE would change
// the root of the shared namespace.
void chroot_into(const std::filesystem::path& rootfs);
// After the pivot: a shared or unbindable linux.rootfsPropagation, applied to the new root
// (before the pivot it would make pivot_root or the rootfs bind fail with EINVAL).
void apply_root_propagation(unsigned long propagation);
// Performs spec.mounts in order, under `rootfs`, resolving every destination without
// following symlinks out of the rootfs.
void mount_all(const std::filesystem::path& rootfs, const std::vector<oci::Mount>& mounts,
               const CgroupView& cgroup);
// The standard devices (null, zero, full, random, urandom, tty), linux.devices, and the
// /dev/fd, /dev/std{in,out,err}, /dev/ptmx links — when /dev is a fresh tmpfs.
void populate_dev(const std::filesystem::path& rootfs, const std::vector<oci::Device>& devices,
                  bool in_user_namespace);
// pivot_root into `rootfs` and detach the old root; --no-pivot falls back to MS_MOVE+chroot.
void enter_rootfs(const std::filesystem::path& rootfs, bool no_pivot);
// After the pivot: hide masked paths, make readonly paths read-only, optionally the root.
void lock_down_paths(const oci::LinuxConfig& linux_config, bool root_readonly);

// Resolves `path` (absolute inside the container) under `rootfs` without letting symlinks
// escape it: each component is looked up relative to the rootfs, as chroot would.
std::filesystem::path secure_join(const std::filesystem::path& rootfs, const std::string& path);

}  // namespace skiff::runtime
