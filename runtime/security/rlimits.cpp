#include "runtime/security/rlimits.h"

#include <fmt/format.h>
#include <sys/resource.h>

#include <cerrno>

#include "common/error.h"
#include "common/rlimit_names.h"

namespace skiff::runtime::security {

namespace {

std::string value(rlim_t v) {
  return v == RLIM_INFINITY ? "unlimited" : std::to_string(v);
}

}  // namespace

std::string rlimit_name(int resource) {
  if (auto name = rlimit_to_name(resource)) return std::string(*name);
  return fmt::format("rlimit {}", resource);
}

void apply_rlimits(const std::vector<oci::Rlimit>& limits) {
  for (const oci::Rlimit& limit : limits) {
    // The spec's uint64 maps 1:1 onto rlim_t; UINT64_MAX is RLIM_INFINITY.
    rlimit want{static_cast<rlim_t>(limit.soft), static_cast<rlim_t>(limit.hard)};
    int resource = limit.resource;
    if (::setrlimit(resource, &want) == 0) continue;
    int err = errno;
    std::string what = fmt::format("{} soft {} hard {}", rlimit_name(limit.resource),
                                   value(want.rlim_cur), value(want.rlim_max));
    rlimit now{};
    if (::getrlimit(resource, &now) == 0) {
      what += fmt::format(" (current soft {} hard {}", value(now.rlim_cur), value(now.rlim_max));
      if (err == EPERM && want.rlim_max > now.rlim_max) {
        what += "; raising the hard limit needs CAP_SYS_RESOURCE";
      }
      if (err == EINVAL && want.rlim_cur > want.rlim_max) what += "; soft is above hard";
      what += ")";
    }
    throw SysError("setrlimit", what, err);
  }
}

}  // namespace skiff::runtime::security
