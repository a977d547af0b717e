// host_device(), all_host_devices().
#include "agent/engine/host_devices.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"

namespace skiff::agent {
namespace {

namespace fs = std::filesystem;

std::string file_kind(mode_t mode) {
  if (S_ISREG(mode)) return "a regular file";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a device node";
}

image::BundleDevice from_stat(const struct stat& st, const std::string& container_path,
                              const std::string& access) {
  return image::BundleDevice{
      .path = container_path,
      .type = S_ISBLK(st.st_mode) ? 'b' : 'c',
      .major = static_cast<std::int64_t>(major(st.st_rdev)),
      .minor = static_cast<std::int64_t>(minor(st.st_rdev)),
      .file_mode = static_cast<std::uint32_t>(st.st_mode & 07777),
      .uid = st.st_uid,
      .gid = st.st_gid,
      .access = access,
  };
}

}  // namespace

image::BundleDevice host_device(const std::string& host_path, const std::string& container_path,
                                const std::string& access, const std::string& field) {
  struct stat st {};
  if (::stat(host_path.c_str(), &st) != 0) {
    const int err = errno;
    throw Error(field + ": host device \"" + host_path + "\": " + std::strerror(err) +
                (err == ENOENT ? " (is the device plugged in and its driver loaded?)" : ""));
  }
  if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) {
    throw Error(field + ": \"" + host_path + "\" is " + file_kind(st.st_mode) +
                ", not a character or block device");
  }
  return from_stat(st, container_path, access);
}

std::vector<image::BundleDevice> all_host_devices(const fs::path& dev) {
  std::vector<image::BundleDevice> out;
  std::error_code ec;
  fs::recursive_directory_iterator it(dev, fs::directory_options::skip_permission_denied, ec);
  if (ec) throw SysError("open directory", dev.string(), ec.value());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) throw SysError("read directory", dev.string(), ec.value());
    const fs::path& p = it->path();
    const fs::path relative = p.lexically_relative(dev);
    const std::string name = p.filename().string();
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) continue;  // gone meanwhile (hotplug)
    if (S_ISDIR(st.st_mode)) {
      // Each container has its own of these; the host's must not show through.
      if (it.depth() == 0 && (name == "pts" || name == "shm" || name == "mqueue" || name == "fd" ||
                              name.starts_with("."))) {
        it.disable_recursion_pending();
      }
      continue;
    }
    if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) continue;
    if (it.depth() == 0 && name == "console") continue;
    out.push_back(from_stat(st, (fs::path("/dev") / relative).string(), "rwm"));
  }
  return out;
}

}  // namespace skiff::agent
