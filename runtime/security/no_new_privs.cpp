#include "runtime/security/no_new_privs.h"

#include <sys/prctl.h>

#include "common/error.h"

namespace skiff::runtime::security {

void set_no_new_privs() {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    throw_errno("prctl(PR_SET_NO_NEW_PRIVS)", "");
  }
}

bool no_new_privs_set() {
  int rc = ::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
  if (rc < 0) throw_errno("prctl(PR_GET_NO_NEW_PRIVS)", "");
  return rc == 1;
}

}  // namespace skiff::runtime::security
