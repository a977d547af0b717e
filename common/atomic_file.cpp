#include "common/atomic_file.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "common/error.h"
#include "common/unique_fd.h"

namespace skiff {
namespace {

void write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("write", path);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

void write_file_atomic(const std::filesystem::path& path, std::string_view data, mode_t mode,
                       bool durable) {
  std::filesystem::path dir = path.parent_path().empty() ? "." : path.parent_path();
  // Built step by step: GCC 12 warns (-Wrestrict, falsely) on "." + string + "...".
  std::string name = ".";
  name += path.filename().string();
  name += ".tmp-XXXXXX";
  std::string tmp = (dir / name).string();
  UniqueFd fd(::mkostemp(tmp.data(), O_CLOEXEC));
  if (!fd) throw_errno("create temporary file for", path.string());
  try {
    // mkostemp makes the file 0600: one syscall fewer on the runtime's state path.
    if (mode != 0600 && ::fchmod(fd.get(), mode) != 0) throw_errno("fchmod", tmp);
    // On tmpfs (the runtime's /run state, for one) a power cut loses the file anyway.
    struct statfs fs {};
    if (durable && ::fstatfs(fd.get(), &fs) == 0 && fs.f_type == TMPFS_MAGIC) durable = false;
    write_all(fd.get(), data, path.string());
    if (durable && ::fsync(fd.get()) != 0) throw_errno("fsync", path.string());
    if (::rename(tmp.c_str(), path.c_str()) != 0) throw_errno("rename into place", path.string());
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  if (!durable) return;
  UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd && ::fsync(dir_fd.get()) != 0) throw_errno("fsync directory", dir.string());
}

}  // namespace skiff
