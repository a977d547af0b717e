#include "image/snapshots/overlay.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>

#include "common/error.h"
#include "common/file_io.h"
#include "common/mountinfo.h"
#include "common/unique_fd.h"

namespace skiff::image {

namespace fs = std::filesystem;

namespace {

// What the kernel wrote to the fs context log ("e overlay: ..."), for error messages.
std::string context_log(int fsfd) {
  std::string out;
  char buf[512];
  while (true) {
    ssize_t n = ::read(fsfd, buf, sizeof buf);
    if (n <= 0) break;
    if (!out.empty()) out += "; ";
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

[[noreturn]] void fail_with_log(const std::string& op, const fs::path& target, int fsfd, int err) {
  std::string log = context_log(fsfd);
  throw SysError(log.empty() ? op : op + " (" + log + ")", target.string(), err);
}

// Returns false (and mounts nothing) if this kernel lacks the new API or "lowerdir+".
bool mount_new_api(const std::vector<fs::path>& lowers, const fs::path& upper, const fs::path& work,
                   const fs::path& target, bool must) {
  UniqueFd fsfd(::fsopen("overlay", FSOPEN_CLOEXEC));
  if (!fsfd) {
    if (!must && (errno == ENOSYS || errno == EPERM)) return false;
    throw_errno("fsopen overlay for", target.string());
  }
  // Top layer first, as in a lowerdir= list.
  for (auto it = lowers.rbegin(); it != lowers.rend(); ++it) {
    if (::fsconfig(fsfd.get(), FSCONFIG_SET_STRING, "lowerdir+", it->c_str(), 0) != 0) {
      int err = errno;
      if (!must && err == EINVAL && it == lowers.rbegin()) return false;  // no "lowerdir+"
      fail_with_log("overlay lowerdir+ " + it->string() + " for", target, fsfd.get(), err);
    }
  }
  if (::fsconfig(fsfd.get(), FSCONFIG_SET_STRING, "upperdir", upper.c_str(), 0) != 0)
    fail_with_log("overlay upperdir " + upper.string() + " for", target, fsfd.get(), errno);
  if (::fsconfig(fsfd.get(), FSCONFIG_SET_STRING, "workdir", work.c_str(), 0) != 0)
    fail_with_log("overlay workdir " + work.string() + " for", target, fsfd.get(), errno);
  if (::fsconfig(fsfd.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0)
    fail_with_log("create overlay for", target, fsfd.get(), errno);
  UniqueFd mnt(::fsmount(fsfd.get(), FSMOUNT_CLOEXEC, 0));
  if (!mnt) fail_with_log("fsmount overlay for", target, fsfd.get(), errno);
  if (::move_mount(mnt.get(), "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0)
    throw_errno("move_mount overlay to", target.string());
  return true;
}

void mount_legacy(const std::vector<fs::path>& lowers, const fs::path& upper, const fs::path& work,
                  const fs::path& target) {
  // Bare names when every lower shares one directory (the snapshot dir), else full paths.
  fs::path base = lowers.empty() ? fs::path() : lowers.front().parent_path();
  for (const fs::path& l : lowers) {
    if (l.parent_path() != base) base.clear();
  }
  std::string lowerdir;
  for (auto it = lowers.rbegin(); it != lowers.rend(); ++it) {
    if (!lowerdir.empty()) lowerdir += ':';
    lowerdir += base.empty() ? it->string() : it->filename().string();
  }
  std::string data = fmt::format("lowerdir={},upperdir={},workdir={}", lowerdir,
                                 fs::absolute(upper).string(), fs::absolute(work).string());
  long page = ::sysconf(_SC_PAGESIZE);
  if (data.size() >= static_cast<std::size_t>(page)) {
    throw Error(
        fmt::format("mount overlay on {}: {} layers need {} bytes of mount options, "
                    "more than the {} mount(2) takes; this kernel lacks the new "
                    "mount API's lowerdir+ (Linux 6.8)",
                    target.string(), lowers.size(), data.size(), page));
  }
  fs::path abs_target = fs::absolute(target);
  // Only async-signal-safe calls in the child: it is a fork of a possibly threaded process.
  pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork to mount overlay on", target.string());
  if (pid == 0) {
    if (!base.empty() && ::chdir(base.c_str()) != 0) ::_exit(255);
    if (::mount("overlay", abs_target.c_str(), "overlay", 0, data.c_str()) != 0) ::_exit(errno);
    ::_exit(0);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw_errno("wait for overlay mount child of", target.string());
  }
  if (!WIFEXITED(status)) throw Error("mount overlay on " + target.string() + ": child crashed");
  int code = WEXITSTATUS(status);
  if (code == 255) throw Error("mount overlay: chdir " + base.string() + " failed");
  if (code != 0) throw SysError("mount overlay (" + data + ") on", target.string(), code);
}

}  // namespace

void mount_overlay(const std::vector<fs::path>& lowers, const fs::path& upper, const fs::path& work,
                   const fs::path& target, OverlayApi api) {
  if (lowers.empty()) throw Error("mount overlay on " + target.string() + ": no layers");
  if (api != OverlayApi::kLegacyMount &&
      mount_new_api(lowers, upper, work, target, api == OverlayApi::kNewMountApi))
    return;
  mount_legacy(lowers, upper, work, target);
}

bool is_mount_point(const fs::path& path) {
  std::error_code ec;
  fs::path canon = fs::weakly_canonical(path, ec);
  if (ec) canon = path;
  for (const MountInfo& m : parse_mountinfo_text(read_file("/proc/self/mountinfo"))) {
    if (m.mount_point == canon.string()) return true;
  }
  return false;
}

void unmount_if_mounted(const fs::path& target) {
  while (::umount2(target.c_str(), UMOUNT_NOFOLLOW) == 0) {
    // Stacked mounts: keep going until nothing is mounted there.
  }
  if (errno == EINVAL || errno == ENOENT) return;
  if (errno == EBUSY) {
    if (::umount2(target.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) == 0) return;
  }
  throw_errno("unmount", target.string());
}

MountGuard::~MountGuard() {
  if (target_.empty()) return;
  try {
    unmount_if_mounted(target_);
  } catch (...) {
    // Best effort on an error path; the original error is what matters.
  }
}

bool overlay_usable(const fs::path& dir) {
  static std::mutex mu;
  static std::map<fs::path, bool> cache;
  std::lock_guard<std::mutex> hold(mu);
  if (auto it = cache.find(dir); it != cache.end()) return it->second;
  bool ok = false;
  std::string tmpl = (dir / ".overlay-probe-XXXXXX").string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) != nullptr) {
    fs::path probe(buf.data());
    std::error_code ec;
    for (const char* d : {"l", "u", "w", "m"}) fs::create_directory(probe / d, ec);
    try {
      mount_overlay({probe / "l"}, probe / "u", probe / "w", probe / "m");
      ok = true;
      unmount_if_mounted(probe / "m");
    } catch (const Error&) {
      ok = false;
    }
    fs::remove_all(probe, ec);
  }
  cache.emplace(dir, ok);
  return ok;
}

}  // namespace skiff::image
