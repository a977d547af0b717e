// overlayfs mounts for container root filesystems, and the probe that decides whether a
// store can use them at all.
//
// Two ways to mount, because mount(2) takes all options in one page (4 KiB): with 64-hex
// snapshot names that caps an image at about 60 layers.
//  - new mount API (fsopen/fsconfig) with one "lowerdir+" per layer (Linux >= 6.8): no
//    limit but the kernel's own (500 lowers);
//  - mount(2) from a short-lived child that chdir()s into the snapshot directory, so the
//    lowerdirs are bare names (chdir in the child keeps the caller's threads unaffected).
#pragma once

#include <filesystem>
#include <vector>

namespace skiff::image {

enum class OverlayApi { kAuto, kNewMountApi, kLegacyMount };

// `lowers` bottom to top (image layer order). Throws SysError naming the target and, where
// the kernel explained itself, its message.
void mount_overlay(const std::vector<std::filesystem::path>& lowers,
                   const std::filesystem::path& upper, const std::filesystem::path& work,
                   const std::filesystem::path& target, OverlayApi api = OverlayApi::kAuto);

// Unmounts `target` if something is mounted there (lazily if busy); a target that is not
// a mount point, or is missing, is fine.
void unmount_if_mounted(const std::filesystem::path& target);

// True if `path` is a mount point according to /proc/self/mountinfo.
bool is_mount_point(const std::filesystem::path& path);

// Can an overlay with its upper and work dirs under `dir` be mounted? Tried once per
// directory and process (a real mount of an empty overlay, then unmounted).
bool overlay_usable(const std::filesystem::path& dir);

// Unmounts on destruction unless release()d: a failed bundle setup leaves no mount.
class MountGuard {
 public:
  explicit MountGuard(std::filesystem::path target) : target_(std::move(target)) {}
  MountGuard(const MountGuard&) = delete;
  MountGuard& operator=(const MountGuard&) = delete;
  ~MountGuard();
  void release() { target_.clear(); }

 private:
  std::filesystem::path target_;
};

}  // namespace skiff::image
