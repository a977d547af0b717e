#include "image/registry/digest_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <cerrno>

#include "common/error.h"

namespace skiff::image {

DigestLock::DigestLock(const ContentStore& store, const Digest& digest)
    : path_(store.ingest_dir() / (digest.hex() + ".lock")) {
  while (true) {
    UniqueFd fd(::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) throw_errno("open lock file", path_.string());
    while (::flock(fd.get(), LOCK_EX) != 0) {
      if (errno != EINTR) throw_errno("flock", path_.string());
    }
    struct stat held {
    }, now{};
    if (::fstat(fd.get(), &held) != 0) throw_errno("fstat", path_.string());
    if (::stat(path_.c_str(), &now) == 0 && now.st_ino == held.st_ino &&
        now.st_dev == held.st_dev) {
      fd_ = std::move(fd);
      return;
    }
    // The previous holder removed this file after we opened it: try the current one.
  }
}

DigestLock::~DigestLock() {
  ::unlink(path_.c_str());
  fd_.reset();
}

}  // namespace skiff::image
