// Resource limits in one backend-neutral form. Fields follow OCI linux.resources (cgroup v1
// units: cpu shares, CFS quota/period, bytes); each backend converts to its own files.
// Unset fields leave the kernel's current value alone.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace skiff::cgroups {

inline constexpr std::int64_t kUnlimited = -1;

// One device-controller rule (OCI linux.resources.devices, and the runtime's defaults).
struct DeviceRule {
  bool allow = false;
  char type = 'a';          // a, c, b
  std::int64_t major = -1;  // -1: any
  std::int64_t minor = -1;
  std::string access = "rwm";

  // The v1 devices.allow/deny syntax: "c 1:3 rwm", "a *:* rwm".
  std::string to_v1() const;
};

struct Resources {
  std::optional<std::uint64_t> cpu_shares;     // 2..262144; ECS cpu units map 1:1
  std::optional<std::int64_t> cpu_quota_us;    // hard cap per period; -1 = no cap
  std::optional<std::uint64_t> cpu_period_us;  // 1000..1000000, default 100000
  std::optional<std::string> cpuset_cpus;
  std::optional<std::string> cpuset_mems;
  std::optional<std::int64_t> memory_limit;        // bytes, -1 = unlimited
  std::optional<std::int64_t> memory_reservation;  // bytes: memory.low / soft limit
  std::optional<std::int64_t> memory_swap;         // memory+swap bytes (OCI), -1 = unlimited
  std::optional<std::uint64_t> memory_swappiness;  // v1 only
  std::optional<bool> disable_oom_killer;          // v1 only
  std::optional<std::int64_t> pids_limit;          // -1 = unlimited
  std::optional<std::uint16_t> io_weight;          // 10..1000 (blkio.weight scale)
  std::map<std::string, std::string> unified;      // raw v2 files (OCI "unified")

  bool operator==(const Resources&) const = default;
};

// ECS container/task units: cpu in 1/1024 vCPU, memory in MiB.
struct EcsLimits {
  std::optional<std::uint32_t> cpu;              // relative weight (ECS `cpu`)
  std::optional<std::uint32_t> cpu_hard;         // hard cap in the same units (task-level cpu)
  std::optional<std::uint64_t> memory_mib;       // hard limit (ECS `memory`)
  std::optional<std::uint64_t> reservation_mib;  // soft floor (ECS `memoryReservation`)
};

inline constexpr std::uint64_t kDefaultCpuPeriodUs = 100000;

// Throws skiff::Error naming the ECS field when a value is out of range.
Resources from_ecs(const EcsLimits& ecs);

// cpu.shares (2..262144) -> cpu.weight (1..10000), mapping the default 1024 to the
// default weight 100 (the quadratic-in-log curve crun adopted; runc's linear map gives 39).
std::uint64_t shares_to_weight(std::uint64_t shares);
// blkio.weight (10..1000) -> io.weight (1..10000), linear.
std::uint64_t blkio_to_io_weight(std::uint64_t weight);
// Human-friendly sizes for CLIs: "64m", "1G", "512k", "1048576".
std::int64_t parse_size(const std::string& text);

}  // namespace skiff::cgroups
