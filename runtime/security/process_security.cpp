#include "runtime/security/process_security.h"

#include "runtime/security/capabilities.h"
#include "runtime/security/no_new_privs.h"
#include "runtime/security/rlimits.h"

namespace skiff::runtime::security {

bool apply_process_security(const oci::Process& process, SeccompFilter* seccomp) {
  apply_rlimits(process.rlimits);
  if (seccomp != nullptr && !process.no_new_privileges) seccomp->load();
  apply_user_and_capabilities(process.user, process.capabilities);
  if (!process.no_new_privileges) return false;
  set_no_new_privs();
  return seccomp != nullptr;
}

}  // namespace skiff::runtime::security
