// process.apparmorProfile. Where AppArmor is enabled the profile is applied to the
// workload's execve; where it is not, a profile is an error (as in crun and runc) rather
// than a confinement silently missing.
#pragma once

#include <string>

namespace skiff::runtime::security {

// /sys/module/apparmor/parameters/enabled reads "Y".
bool apparmor_enabled();

// Throws skiff::Error naming process.apparmorProfile when `profile` is set but AppArmor is
// not enabled on this host. Nothing to check for an empty profile.
void check_apparmor_profile(const std::string& profile);

// Asks AppArmor to confine the next execve of the calling thread in `profile` ("exec
// PROFILE" to /proc/self/attr/apparmor/exec, or /proc/self/attr/exec on older kernels).
// Does nothing for an empty profile. Throws SysError for a profile the kernel refuses.
void apply_apparmor_profile(const std::string& profile);

}  // namespace skiff::runtime::security
