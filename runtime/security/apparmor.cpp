#include "runtime/security/apparmor.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.h"
#include "common/unique_fd.h"

namespace skiff::runtime::security {

bool apparmor_enabled() {
  UniqueFd fd(::open("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC));
  char c = 0;
  return fd && ::read(fd.get(), &c, 1) == 1 && c == 'Y';
}

void check_apparmor_profile(const std::string& profile) {
  if (profile.empty() || apparmor_enabled()) return;
  throw Error("process.apparmorProfile: \"" + profile +
              "\" cannot be applied: AppArmor is not enabled on this host");
}

void apply_apparmor_profile(const std::string& profile) {
  if (profile.empty()) return;
  check_apparmor_profile(profile);
  const std::string command = "exec " + profile;
  // The per-LSM file first (5.8+, with several LSMs stacked), then the shared one.
  for (const char* path : {"/proc/self/attr/apparmor/exec", "/proc/self/attr/exec"}) {
    UniqueFd fd(::open(path, O_WRONLY | O_CLOEXEC));
    if (!fd) {
      if (errno == ENOENT) continue;
      throw_errno("open for process.apparmorProfile", path);
    }
    if (::write(fd.get(), command.data(), command.size()) != static_cast<ssize_t>(command.size())) {
      throw_errno("process.apparmorProfile \"" + profile + "\": write", path);
    }
    return;
  }
  throw Error("process.apparmorProfile: no /proc/self/attr/apparmor/exec or /proc/self/attr/exec");
}

}  // namespace skiff::runtime::security
