// The no_new_privs bit: once set, execve never grants privileges (setuid bits, file
// capabilities) and an unprivileged process may install seccomp filters. It cannot be
// cleared again and is inherited across fork and execve.
#pragma once

namespace skiff::runtime::security {

// prctl(PR_SET_NO_NEW_PRIVS, 1). Throws SysError naming the prctl.
void set_no_new_privs();
// prctl(PR_GET_NO_NEW_PRIVS) for the calling thread.
bool no_new_privs_set();

}  // namespace skiff::runtime::security
