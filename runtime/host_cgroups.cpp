#include "runtime/host_cgroups.h"

namespace skiff::runtime {

const cgroups::Manager& host_cgroups() {
  static const cgroups::Manager manager = cgroups::Manager::for_host();
  return manager;
}

}  // namespace skiff::runtime
