#include "agent/shim/timestamp.h"

#include <cstdio>

namespace skiff::agent {

std::size_t format_rfc3339_nano(const timespec& ts, char* out) {
  tm t{};
  ::gmtime_r(&ts.tv_sec, &t);
  int n = std::snprintf(out, kTimestampSize, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ",
                        t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                        static_cast<long>(ts.tv_nsec));
  return n < 0                                          ? 0
         : static_cast<std::size_t>(n) < kTimestampSize ? static_cast<std::size_t>(n)
                                                        : kTimestampSize - 1;
}

std::size_t now_rfc3339_nano(char* out) {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return format_rfc3339_nano(ts, out);
}

}  // namespace skiff::agent
