#include "runtime/state_dir.h"

#include <fcntl.h>
#include <sys/file.h>

#include <cctype>
#include <cerrno>

#include "common/error.h"

namespace skiff::runtime {

void validate_container_id(std::string_view id) {
  if (id.empty()) throw Error("container id must not be empty");
  if (id.size() > 1024) throw Error("container id is longer than 1024 bytes");
  if (id.front() == '.')
    throw Error("container id \"" + std::string(id) + "\" must not start with '.'");
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') {
      throw Error("container id \"" + std::string(id) +
                  "\": only letters, digits, '_', '-' and '.' are allowed");
    }
  }
}

ContainerLock::ContainerLock(const std::filesystem::path& lock_file) {
  fd_.reset(::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd_) throw_errno("open", lock_file);
  while (::flock(fd_.get(), LOCK_EX) != 0) {
    if (errno != EINTR) throw_errno("flock", lock_file);
  }
}

}  // namespace skiff::runtime
