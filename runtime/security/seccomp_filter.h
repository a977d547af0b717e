// A compiled OCI seccomp profile (linux.seccomp), ready to load into the calling process.
//
// Call order in a container's init (see process_security.h, which does all of it):
//
//   compile(), prepare()      early (the runtime does both before it clones the init), so
//                             a bad profile fails before the container starts; no side
//                             effects on the process
//   apply_rlimits()
//   if !no_new_privileges:    load() HERE, while the process still has CAP_SYS_ADMIN: without
//                             no_new_privs the kernel lets only CAP_SYS_ADMIN install a filter
//                             (EACCES otherwise). The profile must then allow the syscalls the
//                             user/capability switch makes (setgroups, setresgid, setresuid,
//                             capget, capset, prctl, umask) plus execve; Docker's default does.
//   apply_user_and_capabilities()
//   if no_new_privileges:     set_no_new_privs(), then load() as the very last step, so as
//                             few of the runtime's own syscalls as possible run filtered
//   execve()
//
// libseccomp sets no_new_privs itself on load by default; compile() turns that off
// (SCMP_FLTATR_CTL_NNP = 0), so NoNewPrivs is set only when the spec asks for it.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "runtime/spec/spec.h"

namespace skiff::runtime::security {

class SeccompFilter {
 public:
  // Builds the filter in memory. Unknown syscall names are skipped (as runc does: a profile
  // lists syscalls for many kernels and arches) and listed in skipped_syscalls(). Throws
  // skiff::Error naming the field ("linux.seccomp.syscalls[3].action: ...") for unknown
  // architectures or flags, SCMP_ACT_NOTIFY (no listener support yet), errnoRet on an
  // action that takes none, errno values above 4095 and argument indexes above 5.
  //
  // Mapping details:
  //  - errnoRet/defaultErrnoRet default to EPERM for SCMP_ACT_ERRNO and SCMP_ACT_TRACE (the
  //    value is the ptrace event message for TRACE).
  //  - A rule whose action equals the default action is skipped: libseccomp refuses it.
  //  - Several args on one rule must all match (AND). libseccomp cannot compare one argument
  //    twice in a rule, so when an index repeats each comparison becomes its own rule (OR),
  //    which is how runc reads such profiles.
  //  - Flags: SECCOMP_FILTER_FLAG_LOG, _SPEC_ALLOW and _TSYNC map to libseccomp attributes.
  //    _WAIT_KILLABLE_RECV is accepted and ignored: libseccomp 2.5.4 cannot set it, and it
  //    only changes how a NOTIFY listener is waited for, which Skiff refuses anyway.
  //  - A syscall made under an architecture the profile does not list kills the thread
  //    (libseccomp's default bad-arch action).
  //  - Syscalls newer than the profile return ENOSYS, not the default action (runc's rule):
  //    a syscall number above the highest one the profile names for that architecture,
  //    when the default action is not an allow (or ENOSYS already). libc falls back only on
  //    ENOSYS, e.g. glibc from clone3 to clone. prepare() puts this check in front of
  //    libseccomp's program; pfc() does not show it.
  static SeccompFilter compile(const oci::Seccomp& profile);
  // A filter from a program that prepare() generated earlier (runtime/seccomp_cache.h): it
  // can be loaded, but has no libseccomp context for pfc().
  static SeccompFilter from_program(std::string program, unsigned load_flags);
  // What, besides the profile, decides the program prepare() generates: the libseccomp
  // version and the kernel API level it detected.
  static std::string generator_identity();

  SeccompFilter(SeccompFilter&& other) noexcept;
  SeccompFilter& operator=(SeccompFilter&& other) noexcept;
  SeccompFilter(const SeccompFilter&) = delete;
  SeccompFilter& operator=(const SeccompFilter&) = delete;
  ~SeccompFilter();

  // Generates the BPF program now (libseccomp's seccomp_export_bpf), so that load() only
  // hands it to the kernel. Generation takes about 5 ms for Docker's default profile, which
  // is why the runtime keeps the result (runtime/seccomp_cache.h).
  void prepare();
  // prepare()'s output: struct sock_filter[] and the seccomp(2) flags.
  const std::string& program() const { return program_; }
  unsigned load_flags() const { return load_flags_; }

  // Installs the filter on the calling thread (all threads with TSYNC): the prepared
  // program (prepare() first if need be) through seccomp(2). Throws SysError with the
  // kernel's errno.
  void load();

  // True when load() would need CAP_SYS_ADMIN, i.e. no_new_privs is not set on the calling
  // thread. Such a filter must be loaded before capabilities are dropped.
  static bool load_needs_cap_sys_admin();

  // Names from the profile that this libseccomp does not know, in profile order.
  const std::vector<std::string>& skipped_syscalls() const { return skipped_; }

  // The filter in libseccomp's pseudo-filter-code text, for debugging and tests.
  std::string pfc() const;

 private:
  explicit SeccompFilter(void* ctx) : ctx_(ctx) {}
  static void check_program_size(std::size_t bytes, const char* what);
  void* context() const;

  void* ctx_ = nullptr;  // scmp_filter_ctx; void* keeps <seccomp.h> out of this header
  std::vector<std::string> skipped_;
  // (audit arch, newest syscall number the profile names): the ENOSYS rule; empty = none.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> newest_listed_;
  std::string program_;  // struct sock_filter[], from prepare()
  unsigned load_flags_ = 0;
};

}  // namespace skiff::runtime::security
