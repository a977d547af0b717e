// RLIMIT_* names and numbers, for parsing specs and for messages. Header-only so the
// static test probe can share it.
#pragma once

#include <sys/resource.h>

#include <array>
#include <optional>
#include <string_view>

namespace skiff {

struct RlimitName {
  std::string_view name;
  int resource;
};

inline constexpr std::array<RlimitName, 16> kRlimitNames{{
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
}};

inline std::optional<int> rlimit_from_name(std::string_view name) {
  for (const auto& r : kRlimitNames) {
    if (r.name == name) return r.resource;
  }
  return std::nullopt;
}

inline std::optional<std::string_view> rlimit_to_name(int resource) {
  for (const auto& r : kRlimitNames) {
    if (r.resource == resource) return r.name;
  }
  return std::nullopt;
}

}  // namespace skiff
