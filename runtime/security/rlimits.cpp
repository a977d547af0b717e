#include "runtime/security/rlimits.h"

#include <fmt/format.h>
#include <sys/resource.h>

#include <cerrno>

#include "common/error.h"

namespace skiff::runtime::security {

namespace {

std::string value(rlim_t v) {
  return v == RLIM_INFINITY ? "unlimited" : std::to_string(v);
}

}  // namespace

std::string rlimit_name(int resource) {
  switch (resource) {
    case RLIMIT_CPU:
      return "RLIMIT_CPU";
    case RLIMIT_FSIZE:
      return "RLIMIT_FSIZE";
    case RLIMIT_DATA:
      return "RLIMIT_DATA";
    case RLIMIT_STACK:
      return "RLIMIT_STACK";
    case RLIMIT_CORE:
      return "RLIMIT_CORE";
    case RLIMIT_RSS:
      return "RLIMIT_RSS";
    case RLIMIT_NPROC:
      return "RLIMIT_NPROC";
    case RLIMIT_NOFILE:
      return "RLIMIT_NOFILE";
    case RLIMIT_MEMLOCK:
      return "RLIMIT_MEMLOCK";
    case RLIMIT_AS:
      return "RLIMIT_AS";
    case RLIMIT_LOCKS:
      return "RLIMIT_LOCKS";
    case RLIMIT_SIGPENDING:
      return "RLIMIT_SIGPENDING";
    case RLIMIT_MSGQUEUE:
      return "RLIMIT_MSGQUEUE";
    case RLIMIT_NICE:
      return "RLIMIT_NICE";
    case RLIMIT_RTPRIO:
      return "RLIMIT_RTPRIO";
    case RLIMIT_RTTIME:
      return "RLIMIT_RTTIME";
    default:
      return fmt::format("rlimit {}", resource);
  }
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
