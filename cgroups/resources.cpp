#include "cgroups/resources.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

#include "common/error.h"

namespace skiff::cgroups {

namespace {
constexpr std::uint64_t kMinShares = 2;
constexpr std::uint64_t kMaxShares = 262144;
constexpr std::uint64_t kMinQuotaUs = 1000;
constexpr std::uint64_t kMiB = 1024 * 1024;
}  // namespace

Resources from_ecs(const EcsLimits& ecs) {
  Resources r;
  if (ecs.cpu) {
    // The kernel's floor is 2 shares; ECS (via Docker) maps 0 and 1 to 2 as well.
    r.cpu_shares = std::clamp<std::uint64_t>(*ecs.cpu, kMinShares, kMaxShares);
  }
  if (ecs.cpu_hard) {
    if (*ecs.cpu_hard == 0) throw Error("cpu: a hard CPU limit must be at least 1 unit");
    r.cpu_period_us = kDefaultCpuPeriodUs;
    std::uint64_t quota = std::uint64_t{*ecs.cpu_hard} * kDefaultCpuPeriodUs / 1024;
    r.cpu_quota_us = static_cast<std::int64_t>(std::max(quota, kMinQuotaUs));
  }
  if (ecs.memory_mib) {
    if (*ecs.memory_mib < 6) throw Error("memory: must be at least 6 MiB");
    r.memory_limit = static_cast<std::int64_t>(*ecs.memory_mib * kMiB);
  }
  if (ecs.reservation_mib) {
    if (ecs.memory_mib && *ecs.reservation_mib > *ecs.memory_mib) {
      throw Error("memoryReservation: must not exceed memory (" +
                  std::to_string(*ecs.reservation_mib) + " > " + std::to_string(*ecs.memory_mib) +
                  " MiB)");
    }
    r.memory_reservation = static_cast<std::int64_t>(*ecs.reservation_mib * kMiB);
  }
  return r;
}

std::string DeviceRule::to_v1() const {
  auto num = [](std::int64_t v) { return v < 0 ? std::string("*") : std::to_string(v); };
  return std::string(1, type) + " " + num(major) + ":" + num(minor) + " " + access;
}

std::uint64_t shares_to_weight(std::uint64_t shares) {
  shares = std::clamp(shares, kMinShares, kMaxShares);
  double l = std::log2(static_cast<double>(shares));
  double exponent = (l * l + 125.0 * l) / 612.0 - 7.0 / 34.0;
  auto weight = static_cast<std::uint64_t>(std::ceil(std::pow(10.0, exponent) - 1e-9));
  return std::clamp<std::uint64_t>(weight, 1, 10000);
}

std::uint64_t blkio_to_io_weight(std::uint64_t weight) {
  weight = std::clamp<std::uint64_t>(weight, 10, 1000);
  return 1 + (weight - 10) * 9999 / 990;
}

std::int64_t parse_size(const std::string& text) {
  if (text == "-1" || text == "max") return kUnlimited;
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0) throw Error("size '" + text + "': expected a number such as 64m or 1G");
  std::string suffix = text.substr(digits);
  std::transform(suffix.begin(), suffix.end(), suffix.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::uint64_t mult = 1;
  if (suffix == "k" || suffix == "kb" || suffix == "kib")
    mult = 1024;
  else if (suffix == "m" || suffix == "mb" || suffix == "mib")
    mult = kMiB;
  else if (suffix == "g" || suffix == "gb" || suffix == "gib")
    mult = kMiB * 1024;
  else if (!suffix.empty() && suffix != "b") {
    throw Error("size '" + text + "': unknown unit '" + suffix + "' (use k, m or g)");
  }
  std::uint64_t value = std::stoull(text.substr(0, digits));
  if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) / mult) {
    throw Error("size '" + text + "': too large");
  }
  return static_cast<std::int64_t>(value * mult);
}

}  // namespace skiff::cgroups
