// Confinement for harnesses that write files an input describes (layer unpack, archive
// import): the fuzzer runs as root on a shared host, and a path-escape bug must not be
// able to write where root could. The process moves into a new user namespace whose ids
// 0..65535 are host ids kConfinedBase.., owned by nobody on this host: inside it is still
// "root" (the unpacker takes its root code paths: owners, modes), outside it can only write
// where anyone may (/tmp, /dev/shm). The maps are written by a child left in the parent
// namespace, since only a process there may map more than one id.
#pragma once

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace skiff::fuzz {

inline constexpr unsigned long kConfinedBase = 3'000'000'000UL;

namespace detail {

inline bool write_proc(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok;
}

[[noreturn]] inline void die(const char* what) {
  std::perror(what);
  std::abort();
}

}  // namespace detail

// Call from LLVMFuzzerInitialize. Not root: nothing to confine. SKIFF_FUZZ_NO_USERNS=1
// keeps real root (for a throwaway VM).
inline void confine_to_user_namespace() {
  if (::geteuid() != 0) return;
  if (const char* e = std::getenv("SKIFF_FUZZ_NO_USERNS"); e != nullptr && *e == '1') return;
  int go[2];
  if (::pipe2(go, O_CLOEXEC) != 0) detail::die("pipe2");
  pid_t parent = ::getpid();
  pid_t child = ::fork();
  if (child < 0) detail::die("fork");
  if (child == 0) {
    // Waits until the parent has unshared, then maps its ids from here.
    char byte = 0;
    ::close(go[1]);
    if (::read(go[0], &byte, 1) != 1) ::_exit(2);
    std::string proc = "/proc/" + std::to_string(parent);
    std::string map = "0 " + std::to_string(kConfinedBase) + " 65536\n";
    bool ok =
        detail::write_proc(proc + "/uid_map", map) && detail::write_proc(proc + "/gid_map", map);
    ::_exit(ok ? 0 : 1);
  }
  ::close(go[0]);
  if (::unshare(CLONE_NEWUSER) != 0) detail::die("unshare(CLONE_NEWUSER)");
  if (::write(go[1], "x", 1) != 1) detail::die("write");
  ::close(go[1]);
  int status = 0;
  if (::waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "confine: could not write the uid/gid maps\n");
    std::abort();
  }
  // Take the mapped ids for real (effective and filesystem ids, supplementary groups gone).
  if (::setgroups(0, nullptr) != 0) detail::die("setgroups");
  if (::setresgid(0, 0, 0) != 0 || ::setresuid(0, 0, 0) != 0) detail::die("setresuid");
  std::fprintf(stderr, "confine: in a user namespace, host uids %lu..%lu\n", kConfinedBase,
               kConfinedBase + 65535);
}

}  // namespace skiff::fuzz
