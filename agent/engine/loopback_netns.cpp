// create_loopback_netns(), remove_netns().
#include "agent/engine/loopback_netns.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <thread>

#include "common/error.h"
#include "common/unique_fd.h"

namespace skiff::agent {
namespace {

namespace fs = std::filesystem;

void loopback_up() {
  UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s) throw_errno("socket for loopback", "lo");
  struct ifreq ifr {};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (::ioctl(s.get(), SIOCGIFFLAGS, &ifr) != 0) throw_errno("SIOCGIFFLAGS", "lo");
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  if (::ioctl(s.get(), SIOCSIFFLAGS, &ifr) != 0) throw_errno("SIOCSIFFLAGS up", "lo");
}

// Runs on a thread of its own: unshare(CLONE_NEWNET) moves only that thread, and the
// thread ends right after, so no other agent thread ever sees the new namespace.
void make_in_this_thread(const fs::path& path) {
  if (::unshare(CLONE_NEWNET) != 0) throw_errno("unshare(CLONE_NEWNET) for", path.string());
  loopback_up();
  if (::mount("/proc/thread-self/ns/net", path.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    throw_errno("bind network namespace at", path.string());
  }
}

}  // namespace

void create_loopback_netns(const fs::path& path) {
  remove_netns(path);
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) throw SysError("mkdir", path.parent_path().string(), ec.value());
  {
    UniqueFd f(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0444));
    if (!f) throw_errno("create", path.string());
  }
  std::exception_ptr failure;
  std::thread worker([&] {
    try {
      make_in_this_thread(path);
    } catch (...) {
      failure = std::current_exception();
    }
  });
  worker.join();
  if (failure) {
    ::unlink(path.c_str());
    std::rethrow_exception(failure);
  }
}

void remove_netns(const fs::path& path) {
  if (::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
    throw_errno("umount network namespace", path.string());
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw_errno("unlink", path.string());
}

}  // namespace skiff::agent
