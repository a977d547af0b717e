#include "cgroups/self_move.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.h"

namespace skiff::cgroups {

SelfMove::SelfMove(const Cgroup& cgroup) {
  const char* file = cgroup.backend() == Backend::V1 ? "tasks" : "cgroup.procs";
  for (const auto& dir : cgroup.paths()) {
    File f{dir / file, UniqueFd()};
    f.fd.reset(::open(f.path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!f.fd) throw_errno("open", f.path);
    files_.push_back(std::move(f));
  }
}

int SelfMove::apply() noexcept {
  for (std::size_t i = 0; i < files_.size(); ++i) {
    ssize_t n;
    do {
      n = ::write(files_[i].fd.get(), "0", 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1) {
      failed_ = static_cast<int>(i);
      return n < 0 ? errno : EIO;
    }
  }
  return 0;
}

void SelfMove::apply_or_throw() {
  if (int err = apply()) throw SysError("move into cgroup via", path(failed_).string(), err);
}

}  // namespace skiff::cgroups
