// Everything security-related a container's init does to itself right before execve, in the
// one order that works. Callers that need a different order must keep to these rules:
//
//   - rlimits first: raising a hard limit needs CAP_SYS_RESOURCE, which may be dropped next.
//   - Without no_new_privileges, the seccomp filter is loaded BEFORE the user/capability
//     switch: installing a filter then needs CAP_SYS_ADMIN (EACCES otherwise), and the
//     switch may drop it. The profile must allow the switch's syscalls (see capabilities.h).
//   - With no_new_privileges, NNP is set after the switch and the filter is loaded last, so
//     the runtime's own syscalls before execve need not be allowed by the profile.
//
//   apply_rlimits → [load seccomp if !nnp] → apply_user_and_capabilities
//                 → [set_no_new_privs → load seccomp, if nnp] → (caller) execve
#pragma once

#include "runtime/security/seccomp_filter.h"
#include "runtime/spec/spec.h"

namespace skiff::runtime::security {

// Applies process.rlimits, process.user, process.capabilities and process.noNewPrivileges,
// loading `seccomp` (null: none) early when the order above requires it. Returns true when
// the filter is still to be loaded: the caller does that as its very last step before
// execve (after chdir, the executable lookup, waiting for `start`), so none of its own
// syscalls need to be allowed by the profile.
[[nodiscard]] bool apply_process_security(const oci::Process& process, SeccompFilter* seccomp);

}  // namespace skiff::runtime::security
