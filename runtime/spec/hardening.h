// Docker's defaults for an unprivileged container, in one place: the capability set and
// the /proc and /sys paths hidden or made read-only. `skiff-runtime spec` writes them, and
// the bundles the agent makes from images carry them (image/bundle/runtime_config.cpp).
#pragma once

#include <array>
#include <string_view>

namespace skiff::oci::hardening {

inline constexpr std::array<std::string_view, 14> kDefaultCapabilities{
    "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
    "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
    "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",    "CAP_AUDIT_WRITE",
};

inline constexpr std::array<std::string_view, 11> kMaskedPaths{
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
};

inline constexpr std::array<std::string_view, 5> kReadonlyPaths{
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

}  // namespace skiff::oci::hardening
