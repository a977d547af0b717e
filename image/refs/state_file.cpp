#include "image/refs/state_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

#include "common/error.h"

namespace skiff::image {

namespace fs = std::filesystem;

std::optional<std::string> read_state_file(const fs::path& path, std::size_t max) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) {
    if (errno == ENOENT) return std::nullopt;
    throw_errno("open", path.string());
  }
  std::string data;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("read", path.string());
    }
    if (n == 0) break;
    data.append(buf, static_cast<std::size_t>(n));
    if (data.size() > max) {
      throw Error(fmt::format("{}: larger than the {} bytes allowed", path.string(), max));
    }
  }
  return data;
}

FileLock::FileLock(const fs::path& lock_file)
    : fd_(::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
  if (!fd_) throw_errno("open lock file", lock_file.string());
  while (::flock(fd_.get(), LOCK_EX) != 0) {
    if (errno != EINTR) throw_errno("flock", lock_file.string());
  }
}

}  // namespace skiff::image
