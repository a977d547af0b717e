#include "image/store/store_lock.h"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>

#include "common/error.h"

namespace skiff::image {

StoreLock::StoreLock(const std::filesystem::path& lock_file, Mode mode) : mode_(mode) {
  fd_.reset(::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd_) throw_errno("open lock file", lock_file.string());
  int op = mode == Mode::kExclusive ? LOCK_EX : LOCK_SH;
  while (::flock(fd_.get(), op) != 0) {
    if (errno != EINTR) throw_errno("flock", lock_file.string());
  }
}

}  // namespace skiff::image
