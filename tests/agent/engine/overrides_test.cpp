// container_overrides() into BundleOverrides, and on through make_runtime_config into a
// config.json that skiff's own spec parser accepts; cgroup resources from ECS units.
#include "agent/engine/overrides.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "runtime/spec/spec.h"
#include "tests/taskdef/taskdef_test_util.h"

namespace skiff::agent {

namespace test = skiff::taskdef::test;
namespace {

using skiff::taskdef::test::json;

const std::string kFixtures = SKIFF_TASKDEF_FIXTURES;

TaskDefinition ec2() {
  TaskDefinition t =
      parse_task_definition(test::read_text(kFixtures + "/describe-ec2.json"), "ec2.json");
  // The fixture maps /dev/ttyUSB0, which a test machine does not have (isolation_test.cpp
  // covers devices with real nodes).
  EXPECT_EQ(t.containers[0].linux_parameters.devices.size(), 1u);
  t.containers[0].linux_parameters.devices.clear();
  return t;
}

OverrideContext context() {
  OverrideContext ctx;
  ctx.volume_paths["spool"] = "/var/lib/skiff/tasks/t1/volumes/spool";
  ctx.file_environment = {{"SITE", "from-file"}, {"REGION", "eu"}};
  ctx.hostname = "edge-1";
  ctx.cgroups_path = "skiff/t1/collector";
  ctx.pid_ns_path = "/proc/4242/ns/pid";
  return ctx;
}

const image::BundleMount* mount_at(const image::BundleOverrides& o, const std::string& target) {
  for (const auto& m : o.mounts) {
    if (m.destination == target) return &m;
  }
  return nullptr;
}

TEST(TaskDefOverrides, ContainerFieldsMapToBundleOverrides) {
  const TaskDefinition t = ec2();
  const image::BundleOverrides o = container_overrides(t, t.containers[0], context());
  ASSERT_TRUE(o.entrypoint.has_value());
  EXPECT_TRUE(o.entrypoint->empty());
  EXPECT_EQ(*o.command,
            (std::vector<std::string>{"--listen=:9100", "--spool=/var/spool/collector"}));
  // File variables first, the definition's own environment after them (it wins).
  EXPECT_EQ(o.env, (std::vector<std::string>{"SITE=from-file", "REGION=eu", "LOG_LEVEL=info",
                                             "SITE=plant-7"}));
  EXPECT_EQ(o.user, "1000:1000");
  EXPECT_EQ(o.working_dir, "/srv");
  EXPECT_EQ(o.hostname, "edge-1");
  EXPECT_TRUE(o.readonly_rootfs);
  EXPECT_EQ(o.cap_add, std::vector<std::string>{"SYS_PTRACE"});
  EXPECT_EQ(o.cap_drop, std::vector<std::string>{"NET_RAW"});
  EXPECT_EQ(o.memory_limit, 256 * 1024 * 1024);
  EXPECT_EQ(o.memory_reservation, 128 * 1024 * 1024);
  EXPECT_EQ(o.cpu_shares, 256u);
  EXPECT_EQ(o.cgroups_path, "skiff/t1/collector");
  EXPECT_EQ(o.host_namespaces, std::vector<std::string>{"network"});
  EXPECT_EQ(o.join_namespaces.at("pid"), "/proc/4242/ns/pid");
  EXPECT_EQ(o.annotations.at("com.example.team"), "edge");

  const auto* spool = mount_at(o, "/var/spool/collector");
  ASSERT_NE(spool, nullptr);
  EXPECT_EQ(spool->source, "/var/lib/skiff/tasks/t1/volumes/spool");
  EXPECT_EQ(spool->type, "bind");
  EXPECT_FALSE(spool->readonly);
  const auto* dev = mount_at(o, "/host/dev");
  ASSERT_NE(dev, nullptr);
  EXPECT_EQ(dev->source, "/dev");
  EXPECT_TRUE(dev->readonly);
  const auto* run = mount_at(o, "/run/collector");
  ASSERT_NE(run, nullptr);
  EXPECT_EQ(run->type, "tmpfs");
  EXPECT_EQ(run->options,
            (std::vector<std::string>{"nosuid", "nodev", "noexec", "mode=0750", "size=16m"}));
  const auto* shm = mount_at(o, "/dev/shm");
  ASSERT_NE(shm, nullptr);
  EXPECT_THAT(shm->options, ::testing::Contains("size=128m"));

  ASSERT_EQ(o.rlimits.size(), 2u);
  EXPECT_EQ(o.rlimits[0].type, "RLIMIT_NOFILE");
  EXPECT_EQ(o.rlimits[0].soft, 65536u);
  EXPECT_EQ(o.rlimits[1].type, "RLIMIT_CORE");
  EXPECT_EQ(o.rlimits[1].hard, UINT64_MAX);
}

TEST(TaskDefOverrides, ScratchVolumeWithoutDirectoryIsAnError) {
  const TaskDefinition t = ec2();
  OverrideContext ctx = context();
  ctx.volume_paths.clear();
  try {
    container_overrides(t, t.containers[0], ctx);
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("volume \"spool\" is task scratch space"));
  }
}

TEST(TaskDefOverrides, VolumesFromCopiesMountsReadOnlyWhenAsked) {
  json j = test::minimal();
  j["volumes"] = {{{"name", "data"}, {"host", {{"sourcePath", "/srv/data"}}}}};
  j["containerDefinitions"][0]["mountPoints"] = {
      {{"sourceVolume", "data"}, {"containerPath", "/data"}}};
  j["containerDefinitions"].push_back(
      {{"name", "reader"},
       {"image", "i"},
       {"memory", 8},
       {"volumesFrom", {{{"sourceContainer", "app"}, {"readOnly", true}}}}});
  j["networkMode"] = "none";
  j["ipcMode"] = "host";
  j["pidMode"] = "host";
  const TaskDefinition t = test::parse(j);
  OverrideContext ctx;
  ctx.network_ns_path = "/run/skiff/netns/t1";
  const image::BundleOverrides o = container_overrides(t, t.containers[1], ctx);
  ASSERT_EQ(o.mounts.size(), 2u);
  EXPECT_EQ(o.mounts[0].destination, "/data");
  EXPECT_EQ(o.mounts[0].source, "/srv/data");
  EXPECT_TRUE(o.mounts[0].readonly);
  EXPECT_EQ(o.mounts[1].destination, "/dev/shm");  // ipcMode host shares the host's /dev/shm
  EXPECT_EQ(o.mounts[1].source, "/dev/shm");
  EXPECT_EQ(o.network_ns_path, "/run/skiff/netns/t1");
  EXPECT_EQ(o.host_namespaces, (std::vector<std::string>{"pid", "ipc"}));
}

TEST(TaskDefOverrides, RuntimeConfigCarriesTaskFields) {
  const TaskDefinition t = ec2();
  const auto rootfs =
      std::filesystem::temp_directory_path() / ("skiff-taskdef-" + std::to_string(::getpid()));
  std::filesystem::create_directories(rootfs);
  OverrideContext ctx = context();
  // No /etc/passwd in the empty rootfs: numeric user only.
  const json config = image::make_runtime_config(
      json::object({{"Cmd", {"collector"}}}), container_overrides(t, t.containers[0], ctx), rootfs);
  std::filesystem::remove_all(rootfs);
  EXPECT_EQ(config["process"]["user"]["uid"], 1000);
  EXPECT_EQ(config["process"]["args"], (json{"--listen=:9100", "--spool=/var/spool/collector"}));
  EXPECT_EQ(config["process"]["rlimits"],
            (json{{{"type", "RLIMIT_NOFILE"}, {"hard", 65536}, {"soft", 65536}},
                  {{"type", "RLIMIT_CORE"}, {"hard", UINT64_MAX}, {"soft", 0}}}));
  EXPECT_EQ(config["annotations"]["com.example.tier"], "metrics");
  json types = json::array();
  for (const json& ns : config["linux"]["namespaces"]) {
    types.push_back(ns["type"]);
    if (ns["type"] == "pid") {
      EXPECT_EQ(ns["path"], "/proc/4242/ns/pid");
    }
  }
  EXPECT_EQ(types, (json{"pid", "ipc", "uts", "mount", "cgroup"}));  // host network
  int shm = 0;
  for (const json& m : config["mounts"]) {
    if (m["destination"] == "/dev/shm") {
      ++shm;
      EXPECT_THAT(m["options"].dump(), ::testing::HasSubstr("size=128m"));
    }
  }
  EXPECT_EQ(shm, 1);
  // And skiff-runtime's own parser takes it.
  EXPECT_NO_THROW(oci::parse_spec(config));
}

TEST(TaskDefOverrides, Resources) {
  const TaskDefinition t = ec2();
  const cgroups::Resources task = task_resources(t);
  EXPECT_FALSE(task.cpu_quota_us.has_value());  // no task-level cpu in this one
  json j = test::minimal();
  j["cpu"] = "0.5 vCPU";
  j["memory"] = "1GB";
  const cgroups::Resources capped = task_resources(test::parse(j));
  EXPECT_EQ(capped.cpu_quota_us, 50000);
  EXPECT_EQ(capped.cpu_period_us, 100000u);
  EXPECT_EQ(capped.memory_limit, std::int64_t{1024} * 1024 * 1024);
  const cgroups::Resources c = container_resources(t.containers[0]);
  EXPECT_EQ(c.cpu_shares, 256u);
  EXPECT_EQ(c.memory_limit, 256 * 1024 * 1024);
  EXPECT_EQ(c.memory_reservation, 128 * 1024 * 1024);
  EXPECT_EQ(container_resources(t.containers[1]).cpu_shares, 2u);  // cpu 0: the kernel floor
}

}  // namespace
}  // namespace skiff::agent
