#include "cgroups/resources.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cgroups/oci_resources.h"
#include "common/error.h"

namespace skiff::cgroups {
namespace {

using nlohmann::json;

std::string error_of(const json& j) {
  try {
    from_oci(j);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(SharesToWeight, KeepsTheDefaultsAligned) {
  EXPECT_EQ(shares_to_weight(2), 1u);
  EXPECT_EQ(shares_to_weight(1024), 100u);  // 1 vCPU in ECS units = default weight
  EXPECT_EQ(shares_to_weight(262144), 10000u);
  EXPECT_LT(shares_to_weight(512), shares_to_weight(1024));
  EXPECT_LT(shares_to_weight(1024), shares_to_weight(2048));
  EXPECT_EQ(shares_to_weight(0), 1u);  // clamped to the kernel's floor
}

TEST(BlkioToIoWeight, MapsTheRangeEnds) {
  EXPECT_EQ(blkio_to_io_weight(10), 1u);
  EXPECT_EQ(blkio_to_io_weight(1000), 10000u);
  EXPECT_EQ(blkio_to_io_weight(500), 4950u);
}

TEST(FromEcs, ConvertsUnits) {
  Resources r = from_ecs({.cpu = 512, .cpu_hard = 256, .memory_mib = 128, .reservation_mib = 64});
  EXPECT_EQ(r.cpu_shares, 512u);
  EXPECT_EQ(r.cpu_period_us, 100000u);
  EXPECT_EQ(r.cpu_quota_us, 25000);  // 256/1024 of a CPU
  EXPECT_EQ(r.memory_limit, 128 * 1024 * 1024);
  EXPECT_EQ(r.memory_reservation, 64 * 1024 * 1024);
}

TEST(FromEcs, CpuBelowTheKernelFloorBecomesTwoShares) {
  EXPECT_EQ(from_ecs({.cpu = 0}).cpu_shares, 2u);
}

TEST(FromEcs, RejectsReservationAboveLimitNamingTheField) {
  try {
    from_ecs({.memory_mib = 64, .reservation_mib = 128});
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "memoryReservation: must not exceed memory (128 > 64 MiB)");
  }
}

TEST(ParseSize, UnderstandsUnits) {
  EXPECT_EQ(parse_size("64m"), 64 << 20);
  EXPECT_EQ(parse_size("1G"), std::int64_t{1} << 30);
  EXPECT_EQ(parse_size("512k"), 512 << 10);
  EXPECT_EQ(parse_size("4096"), 4096);
  EXPECT_EQ(parse_size("max"), kUnlimited);
  EXPECT_THROW(parse_size("12q"), Error);
  EXPECT_THROW(parse_size("m"), Error);
}

TEST(FromOci, ReadsTheSupportedFields) {
  Resources r = from_oci(json::parse(R"({
    "memory": {"limit": 67108864, "reservation": 33554432, "swap": 134217728},
    "cpu": {"shares": 512, "quota": 20000, "period": 100000, "cpus": "0", "mems": "0"},
    "pids": {"limit": 32},
    "blockIO": {"weight": 300},
    "devices": [{"allow": false, "access": "rwm"}],
    "unified": {"memory.high": "50000000"}
  })"));
  EXPECT_EQ(r.memory_limit, 67108864);
  EXPECT_EQ(r.memory_reservation, 33554432);
  EXPECT_EQ(r.memory_swap, 134217728);
  EXPECT_EQ(r.cpu_shares, 512u);
  EXPECT_EQ(r.cpu_quota_us, 20000);
  EXPECT_EQ(r.cpu_period_us, 100000u);
  EXPECT_EQ(r.cpuset_cpus, "0");
  EXPECT_EQ(r.pids_limit, 32);
  EXPECT_EQ(r.io_weight, 300);
  EXPECT_EQ(r.unified.at("memory.high"), "50000000");
}

TEST(FromOci, FollowsRuncForZeroAndNegativeValues) {
  Resources r =
      from_oci(json::parse(R"({"pids": {"limit": 0}, "cpu": {"shares": 0, "quota": -1}})"));
  EXPECT_FALSE(r.pids_limit);
  EXPECT_FALSE(r.cpu_shares);
  EXPECT_EQ(r.cpu_quota_us, -1);
  EXPECT_EQ(from_oci(json::parse(R"({"pids": {"limit": -5}})")).pids_limit, kUnlimited);
}

TEST(FromOci, ErrorsNameTheField) {
  EXPECT_EQ(error_of(json::parse(R"({"memory": {"limit": "64m"}})")),
            "linux.resources.memory.limit: expected an integer, got string");
  EXPECT_EQ(error_of(json::parse(R"({"cpu": {"shares": 300000}})")),
            "linux.resources.cpu.shares: must be 0..262144, got 300000");
  EXPECT_EQ(error_of(json::parse(R"({"cpu": {"quota": 10}})")),
            "linux.resources.cpu.quota: must be at least 1000 (microseconds) or -1, got 10");
  EXPECT_EQ(error_of(json::parse(R"({"pids": []})")),
            "linux.resources.pids: expected an object, got array");
  EXPECT_EQ(error_of(json::parse(R"({"memory": {"limit": 100, "swap": 50}})")),
            "linux.resources.memory.swap: memory+swap (50) must not be below memory.limit (100)");
  EXPECT_EQ(error_of(json::parse(R"({"unified": {"../../etc/passwd": "x"}})")),
            "linux.resources.unified.../../etc/passwd: not a cgroup interface file name");
  EXPECT_EQ(error_of(json::parse(R"({"hugepageLimits": [{"pageSize": "2MB", "limit": 1}]})")),
            "linux.resources.hugepageLimits: not supported by skiff");
}

}  // namespace
}  // namespace skiff::cgroups
