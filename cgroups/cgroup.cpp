#include "cgroups/cgroup.h"

#include <poll.h>

namespace skiff::cgroups {

std::uint64_t OomMonitor::wait_for_kill(std::uint64_t seen, std::chrono::milliseconds timeout) {
  using clock = std::chrono::steady_clock;
  auto deadline = clock::now() + timeout;
  for (;;) {
    std::uint64_t now = kills();
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    if (now > seen || left.count() <= 0) return now;
    // Wake on the kernel's notification, but re-read at least every 100 ms: the counter is
    // the truth and a notification can race with our read.
    pollfd pfd{fd(), POLLIN, 0};
    ::poll(&pfd, 1, static_cast<int>(std::min<long>(left.count(), 100)));
  }
}

CgroupGuard::~CgroupGuard() {
  if (!cgroup_) return;
  try {
    cgroup_->kill_all();
    cgroup_->remove();
  } catch (...) {
    // Already unwinding from the real error; that one is worth more than this one.
  }
}

}  // namespace skiff::cgroups
