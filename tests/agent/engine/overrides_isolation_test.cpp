// The isolation fields: linuxParameters.devices, privileged, disableNetworking,
// dockerSecurityOptions and tmpfs defaults, from the definition through container_overrides
// into a config.json that skiff-runtime's parser takes. Device nodes are the host's own
// (/dev/null), so nothing here needs root.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>

#include "agent/engine/host_devices.h"
#include "agent/engine/overrides.h"
#include "runtime/spec/spec.h"
#include "tests/taskdef/taskdef_test_util.h"

namespace skiff::agent {

namespace test = skiff::taskdef::test;
namespace {

using skiff::taskdef::test::error_of;
using skiff::taskdef::test::json;
using skiff::taskdef::test::minimal;
using ::testing::HasSubstr;

json& c0(json& j) {
  return j["containerDefinitions"][0];
}

image::BundleOverrides overrides_of(const json& j, const OverrideContext& ctx = {}) {
  const TaskDefinition t = test::parse(j);
  return container_overrides(t, t.containers[0], ctx);
}

// make_runtime_config over an empty rootfs (numeric user only).
json config_of(const image::BundleOverrides& o) {
  const auto rootfs = std::filesystem::temp_directory_path() /
                      ("skiff-isolation-unit-" + std::to_string(::getpid()));
  std::filesystem::create_directories(rootfs);
  json config;
  try {
    config = image::make_runtime_config(json::object({{"Cmd", {"app"}}}), o, rootfs);
  } catch (...) {
    std::filesystem::remove_all(rootfs);
    throw;
  }
  std::filesystem::remove_all(rootfs);
  return config;
}

const json* mount_in(const json& config, const std::string& destination) {
  for (const json& m : config["mounts"]) {
    if (m["destination"] == destination) return &m;
  }
  return nullptr;
}

std::optional<image::BundleDevice> device_at(const image::BundleOverrides& o,
                                             const std::string& path) {
  auto it = std::find_if(o.devices.begin(), o.devices.end(),
                         [&](const image::BundleDevice& d) { return d.path == path; });
  if (it == o.devices.end()) return std::nullopt;
  return *it;
}

// --- privileged ------------------------------------------------------------------------

TEST(TaskDefIsolation, PrivilegedIsParsedAndWarnedInTheTaskStatus) {
  json j = minimal();
  c0(j)["privileged"] = true;
  j["containerDefinitions"].push_back({{"name", "plain"}, {"image", "busybox"}, {"memory", 8}});
  j["containerDefinitions"][1]["privileged"] = false;  // false says nothing: no warning
  const TaskDefinition t = test::parse(j);
  EXPECT_TRUE(t.containers[0].privileged);
  EXPECT_FALSE(t.containers[1].privileged);
  ASSERT_EQ(t.warnings.size(), 1u);
  EXPECT_THAT(t.warnings[0], HasSubstr("containerDefinitions[0].privileged: the container runs "
                                       "privileged"));
}

TEST(TaskDefIsolation, PrivilegedIsDockersPrivileged) {
  json j = minimal();
  c0(j)["privileged"] = true;
  c0(j)["linuxParameters"] = {{"capabilities", {{"drop", {"SYS_TIME"}}}}};
  const image::BundleOverrides o = overrides_of(j);
  EXPECT_TRUE(o.privileged);
  // Every host node, /dev/null among them, at its own path; the host's ptys are not.
  EXPECT_TRUE(device_at(o, "/dev/null").has_value());
  EXPECT_TRUE(std::none_of(o.devices.begin(), o.devices.end(), [](const image::BundleDevice& d) {
    return d.path.starts_with("/dev/pts/") || d.path == "/dev/console";
  }));

  const json config = config_of(o);
  const json& caps = config["process"]["capabilities"]["effective"];
  // Every capability in our bounding set (capset refuses the rest) but the dropped one.
  std::size_t bounding = 0;
  for (const auto& name : oci::all_capability_names()) {
    const auto bit = oci::capability_from_name(name);
    if (::prctl(PR_CAPBSET_READ, static_cast<unsigned long>(*bit), 0, 0, 0) == 1) ++bounding;
  }
  ASSERT_EQ(::prctl(PR_CAPBSET_READ, CAP_SYS_TIME, 0, 0, 0), 1) << "the test drops SYS_TIME";
  EXPECT_EQ(caps.size(), bounding - 1);
  EXPECT_EQ(std::count(caps.begin(), caps.end(), "CAP_SYS_ADMIN"), 1);
  EXPECT_EQ(std::count(caps.begin(), caps.end(), "CAP_SYS_TIME"), 0);
  EXPECT_FALSE(config["linux"].contains("seccomp"));
  EXPECT_FALSE(config["linux"].contains("maskedPaths"));
  EXPECT_FALSE(config["linux"].contains("readonlyPaths"));
  EXPECT_EQ(config["linux"]["resources"]["devices"][1], (json{{"allow", true}, {"access", "rwm"}}));
  for (const char* dest : {"/sys", "/sys/fs/cgroup"}) {
    const json* m = mount_in(config, dest);
    ASSERT_NE(m, nullptr) << dest;
    EXPECT_EQ(std::count((*m)["options"].begin(), (*m)["options"].end(), "rw"), 1) << dest;
    EXPECT_EQ(std::count((*m)["options"].begin(), (*m)["options"].end(), "ro"), 0) << dest;
  }
  EXPECT_NO_THROW(oci::parse_spec(config));

  // The same container unprivileged keeps every default.
  c0(j).erase("privileged");
  const json plain = config_of(overrides_of(j));
  EXPECT_TRUE(plain["linux"].contains("seccomp"));
  EXPECT_TRUE(plain["linux"].contains("maskedPaths"));
  EXPECT_FALSE(plain["linux"].contains("devices"));
  EXPECT_EQ(plain["linux"]["resources"]["devices"].size(), 1u);
  EXPECT_EQ(std::count((*mount_in(plain, "/sys"))["options"].begin(),
                       (*mount_in(plain, "/sys"))["options"].end(), "ro"),
            1);
}

TEST(TaskDefIsolation, HostDevicesListsNodesNotLinksOrPtys) {
  const std::vector<image::BundleDevice> all = all_host_devices();
  ASSERT_FALSE(all.empty());
  struct stat st {};
  for (const auto& d : all) {
    EXPECT_TRUE(d.path.starts_with("/dev/")) << d.path;
    ASSERT_EQ(::lstat(d.path.c_str(), &st), 0) << d.path;
    EXPECT_TRUE(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) << d.path;
    EXPECT_EQ(d.major, static_cast<std::int64_t>(major(st.st_rdev))) << d.path;
    EXPECT_EQ(d.type, S_ISBLK(st.st_mode) ? 'b' : 'c') << d.path;
  }
  // /dev/stdin and /dev/fd are links on every Linux host.
  EXPECT_EQ(std::count_if(all.begin(), all.end(),
                          [](const image::BundleDevice& d) {
                            return d.path == "/dev/stdin" || d.path.starts_with("/dev/fd/");
                          }),
            0);
}

TEST(TaskDefIsolation, PrivilegedWithAMappedDeviceKeepsTheMappingsPermissions) {
  json j = minimal();
  c0(j)["privileged"] = true;
  c0(j)["linuxParameters"] = {
      {"devices", {{{"hostPath", "/dev/null"}, {"permissions", {"read", "write"}}}}}};
  const image::BundleOverrides o = overrides_of(j);
  EXPECT_EQ(std::count_if(o.devices.begin(), o.devices.end(),
                          [](const image::BundleDevice& d) { return d.path == "/dev/null"; }),
            1);
  EXPECT_EQ(device_at(o, "/dev/null").value_or(image::BundleDevice{}).access, "rw");
}

// --- disableNetworking -------------------------------------------------------------------

TEST(TaskDefIsolation, DisableNetworkingGetsItsOwnNamespaceEvenInHostMode) {
  json j = minimal();  // networkMode host
  c0(j)["disableNetworking"] = true;
  OverrideContext ctx;
  ctx.loopback_ns_path = "/run/skiff/netns/t1-app";
  const image::BundleOverrides o = overrides_of(j, ctx);
  EXPECT_TRUE(o.host_namespaces.empty());
  EXPECT_EQ(o.network_ns_path, "/run/skiff/netns/t1-app");
  const json config = config_of(o);
  int network = 0;
  for (const json& ns : config["linux"]["namespaces"]) {
    if (ns["type"] == "network") {
      ++network;
      EXPECT_EQ(ns["path"], "/run/skiff/netns/t1-app");
    }
  }
  EXPECT_EQ(network, 1);

  // The control: without it, host mode shares the host's namespace.
  c0(j).erase("disableNetworking");
  EXPECT_EQ(overrides_of(j, ctx).host_namespaces, std::vector<std::string>{"network"});
}

TEST(TaskDefIsolation, DisableNetworkingRefusesPortMappings) {
  json j = minimal();
  c0(j)["disableNetworking"] = true;
  c0(j)["portMappings"] = {{{"containerPort", 8080}}};
  EXPECT_EQ(error_of(j),
            "containerDefinitions[0].portMappings: port mappings need a network; "
            "disableNetworking leaves the container none");
}

// --- dockerSecurityOptions ---------------------------------------------------------------

TEST(TaskDefIsolation, NoNewPrivilegesMapsToTheProcess) {
  for (const char* spelling : {"no-new-privileges", "no-new-privileges:true"}) {
    json j = minimal();
    c0(j)["dockerSecurityOptions"] = {spelling};
    const TaskDefinition t = test::parse(j);
    EXPECT_TRUE(t.containers[0].no_new_privileges) << spelling;
    const image::BundleOverrides o = container_overrides(t, t.containers[0], {});
    EXPECT_EQ(o.no_new_privileges, std::optional<bool>(true)) << spelling;
    EXPECT_EQ(config_of(o)["process"]["noNewPrivileges"], true) << spelling;
  }
  // Unset, Docker's default: off.
  EXPECT_EQ(overrides_of(minimal()).no_new_privileges, std::optional<bool>(false));
  EXPECT_EQ(config_of(overrides_of(minimal()))["process"]["noNewPrivileges"], false);
}

TEST(TaskDefIsolation, OtherSecurityOptionsAreRefusedNamingTheItem) {
  for (const char* option : {"apparmor:docker-default", "label:type:svirt_apache_t",
                             "seccomp:unconfined", "no-new-privileges:false", "credentialspec:x"}) {
    json j = minimal();
    c0(j)["dockerSecurityOptions"] = {"no-new-privileges", option};
    EXPECT_THAT(error_of(j),
                HasSubstr(std::string("containerDefinitions[0].dockerSecurityOptions[1]: \"") +
                          option + "\" is not supported"))
        << option;
  }
  json j = minimal();
  c0(j)["dockerSecurityOptions"] = json::array();  // empty says nothing
  EXPECT_EQ(error_of(j), "(no error)");
}

// --- tmpfs ---------------------------------------------------------------------------------

TEST(TaskDefIsolation, TmpfsGetsDockersDefaultsUnlessTheDefinitionSaysOtherwise) {
  json j = minimal();
  c0(j)["linuxParameters"] = {
      {"tmpfs",
       {{{"containerPath", "/scratch"}, {"size", 8}},
        {{"containerPath", "/jit"}, {"size", 8}, {"mountOptions", {"exec", "nosuid"}}}}}};
  const image::BundleOverrides o = overrides_of(j);
  ASSERT_EQ(o.mounts.size(), 2u);
  EXPECT_EQ(o.mounts[0].options,
            (std::vector<std::string>{"nosuid", "nodev", "noexec", "size=8m"}));
  EXPECT_EQ(o.mounts[1].options, (std::vector<std::string>{"nodev", "exec", "nosuid", "size=8m"}));
  // /dev/shm keeps them too, with or without sharedMemorySize.
  const json config = config_of(o);
  const json* shm = mount_in(config, "/dev/shm");
  ASSERT_NE(shm, nullptr);
  for (const char* opt : {"nosuid", "nodev", "noexec", "mode=1777"}) {
    EXPECT_EQ(std::count((*shm)["options"].begin(), (*shm)["options"].end(), opt), 1) << opt;
  }
  c0(j)["linuxParameters"] = {{"sharedMemorySize", 32}};
  const json sized_config = config_of(overrides_of(j));
  const json* sized = mount_in(sized_config, "/dev/shm");
  ASSERT_NE(sized, nullptr);
  for (const char* opt : {"nosuid", "nodev", "noexec", "mode=1777", "size=32m"}) {
    EXPECT_EQ(std::count((*sized)["options"].begin(), (*sized)["options"].end(), opt), 1) << opt;
  }
}

}  // namespace
}  // namespace skiff::agent
