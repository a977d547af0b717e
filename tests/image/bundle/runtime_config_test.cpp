// make_runtime_config: the image's defaults, each override rule, capabilities, and that
// skiff's own parser accepts every result.
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/prctl.h>

#include <algorithm>
#include <string>

#include "common/error.h"
#include "image/bundle/bundle.h"
#include "runtime/spec/spec.h"
#include "tests/image/bundle/temp_rootfs.h"

namespace skiff::image {
namespace {

using json = nlohmann::json;
using test::TempRootfs;

json busybox_config() {
  return json::parse(R"({
    "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C"],
    "Cmd": ["sh"],
    "Entrypoint": null,
    "WorkingDir": "",
    "Labels": {"org.opencontainers.image.title": "busybox", "com.example.hook": "x"},
    "ExposedPorts": {"80/tcp": {}},
    "StopSignal": "SIGQUIT"
  })");
}

std::string error_of(const json& image, const BundleOverrides& o,
                     const std::filesystem::path& rootfs) {
  try {
    make_runtime_config(image, o, rootfs);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// One shared empty override set: GCC 12 misreports `{}` temporaries as uninitialized.
const BundleOverrides& none() {
  static const BundleOverrides o;
  return o;
}

std::vector<std::string> strings(const json& j) {
  return j.get<std::vector<std::string>>();
}

class RuntimeConfigTest : public ::testing::Test {
 protected:
  void SetUp() override { rootfs_.write_accounts(); }
  TempRootfs rootfs_;
};

TEST_F(RuntimeConfigTest, BusyboxDefaults) {
  BundleOverrides o;
  o.hostname = "web-1";
  const json c = make_runtime_config(busybox_config(), o, rootfs_.path());
  EXPECT_EQ(strings(c["process"]["args"]), std::vector<std::string>{"sh"});
  EXPECT_EQ(
      strings(c["process"]["env"]),
      (std::vector<std::string>{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                "LANG=C", "HOSTNAME=web-1"}));
  EXPECT_EQ(c["process"]["cwd"], "/");
  EXPECT_EQ(c["process"]["user"], (json{{"uid", 0}, {"gid", 0}, {"additionalGids", {10}}}));
  EXPECT_EQ(c["hostname"], "web-1");
  EXPECT_EQ(c["root"], (json{{"path", "rootfs"}, {"readonly", false}}));
  EXPECT_EQ(c["process"]["noNewPrivileges"], true);
  EXPECT_EQ(c["process"]["rlimits"][0]["type"], "RLIMIT_NOFILE");
  EXPECT_EQ(c["process"]["rlimits"][0]["soft"], 1024);
  // Labels are untrusted and never become annotations; the stop signal does.
  EXPECT_EQ(c["annotations"], (json{{"org.opencontainers.image.stopSignal", "SIGQUIT"}}));
}

TEST_F(RuntimeConfigTest, ParsesWithSkiffsParser) {
  BundleOverrides o;
  o.user = "bob";
  o.readonly_rootfs = true;
  o.memory_limit = 64 << 20;
  o.cpu_shares = 512;
  o.cpu_quota = 50000;
  o.cpu_period = 100000;
  o.pids_limit = 100;
  o.cgroups_path = "/skiff/task-1";
  o.network_ns_path = "/run/netns/task-1";
  o.mounts.push_back({"/data", "/srv/data", "bind", {}, true});
  o.cap_add = {"NET_ADMIN"};
  const json c = make_runtime_config(busybox_config(), o, rootfs_.path());
  const oci::Spec s = oci::parse_spec(c);
  ASSERT_TRUE(s.process);
  EXPECT_EQ(s.process->user.uid, 1000u);
  EXPECT_EQ(s.process->user.gid, 1000u);
  EXPECT_EQ(s.process->user.additional_gids, (std::vector<std::uint32_t>{10, 29}));
  EXPECT_TRUE(s.root.readonly);
  EXPECT_EQ(s.linux_config.cgroups_path, "/skiff/task-1");
  EXPECT_EQ(s.linux_config.resources.memory_limit, std::optional<std::int64_t>(64 << 20));
  const oci::Namespace* net = s.linux_config.find(oci::NamespaceType::Network);
  ASSERT_NE(net, nullptr);
  EXPECT_EQ(net->path, "/run/netns/task-1");
  EXPECT_TRUE(s.linux_config.has(oci::NamespaceType::Cgroup));
  EXPECT_TRUE(s.linux_config.has(oci::NamespaceType::Pid));
  ASSERT_TRUE(s.linux_config.seccomp);
  EXPECT_EQ(s.linux_config.seccomp->default_action, oci::SeccompAction::Errno);
  ASSERT_TRUE(s.process->capabilities);
  const auto& bounding = s.process->capabilities->bounding;
  EXPECT_NE(std::find(bounding.begin(), bounding.end(), CAP_NET_ADMIN), bounding.end());
  EXPECT_EQ(bounding.size(), 15u);
  const auto data = std::find_if(s.mounts.begin(), s.mounts.end(),
                                 [](const oci::Mount& m) { return m.destination == "/data"; });
  ASSERT_NE(data, s.mounts.end());
  EXPECT_TRUE(data->is_bind());
  EXPECT_EQ(s.annotations.at("org.opencontainers.image.stopSignal"), "SIGQUIT");
}

TEST_F(RuntimeConfigTest, DefaultNetworkIsANewNamespace) {
  const oci::Spec s =
      oci::parse_spec(make_runtime_config(busybox_config(), none(), rootfs_.path()));
  const oci::Namespace* net = s.linux_config.find(oci::NamespaceType::Network);
  ASSERT_NE(net, nullptr);
  EXPECT_EQ(net->path, "");
  EXPECT_EQ(s.mounts.size(), 7u);
}

json entrypoint_image() {
  json j = busybox_config();
  j["Entrypoint"] = {"/docker-entrypoint.sh"};
  j["Cmd"] = {"nginx", "-g", "daemon off;"};
  return j;
}

TEST_F(RuntimeConfigTest, CommandOverrideReplacesCmdOnly) {
  BundleOverrides o;
  o.command = std::vector<std::string>{"nginx", "-t"};
  const json c = make_runtime_config(entrypoint_image(), o, rootfs_.path());
  EXPECT_EQ(strings(c["process"]["args"]),
            (std::vector<std::string>{"/docker-entrypoint.sh", "nginx", "-t"}));
}

TEST_F(RuntimeConfigTest, InitRunsInFrontOfTheCommandFromAReadOnlyBind) {
  BundleOverrides o;
  o.command = std::vector<std::string>{"nginx", "-t"};
  o.init_path = "/usr/bin/catatonit";
  const json c = make_runtime_config(entrypoint_image(), o, rootfs_.path());
  EXPECT_EQ(strings(c["process"]["args"]),
            (std::vector<std::string>{"/dev/init", "--", "/docker-entrypoint.sh", "nginx", "-t"}));
  const auto init = std::find_if(c["mounts"].begin(), c["mounts"].end(),
                                 [](const json& m) { return m["destination"] == "/dev/init"; });
  ASSERT_NE(init, c["mounts"].end()) << c["mounts"].dump(1);
  EXPECT_EQ((*init)["source"], "/usr/bin/catatonit");
  const auto options = strings((*init)["options"]);
  EXPECT_NE(std::find(options.begin(), options.end(), "ro"), options.end());
  // After /dev's tmpfs, or the tmpfs would hide it.
  const auto dev = std::find_if(c["mounts"].begin(), c["mounts"].end(),
                                [](const json& m) { return m["destination"] == "/dev"; });
  EXPECT_LT(dev - c["mounts"].begin(), init - c["mounts"].begin());
}

TEST_F(RuntimeConfigTest, EntrypointOverrideDropsImageCmd) {
  BundleOverrides o;
  o.entrypoint = std::vector<std::string>{"/bin/sh"};
  const json c = make_runtime_config(entrypoint_image(), o, rootfs_.path());
  EXPECT_EQ(strings(c["process"]["args"]), std::vector<std::string>{"/bin/sh"});
}

TEST_F(RuntimeConfigTest, EntrypointAndCommandOverrides) {
  BundleOverrides o;
  o.entrypoint = std::vector<std::string>{"/bin/sh", "-c"};
  o.command = std::vector<std::string>{"echo hi"};
  const json c = make_runtime_config(entrypoint_image(), o, rootfs_.path());
  EXPECT_EQ(strings(c["process"]["args"]), (std::vector<std::string>{"/bin/sh", "-c", "echo hi"}));
}

TEST_F(RuntimeConfigTest, EmptyEntrypointClearsIt) {
  BundleOverrides o;
  o.entrypoint.emplace();
  o.command = std::vector<std::string>{"ls"};
  const json c = make_runtime_config(entrypoint_image(), o, rootfs_.path());
  EXPECT_EQ(strings(c["process"]["args"]), std::vector<std::string>{"ls"});
}

TEST_F(RuntimeConfigTest, NoCommandAtAllIsAnError) {
  json j = busybox_config();
  j.erase("Cmd");
  EXPECT_NE(error_of(j, none(), rootfs_.path()).find("config.Cmd"), std::string::npos);
}

TEST_F(RuntimeConfigTest, EnvOverridesByNameAndDefaultsPath) {
  json j = busybox_config();
  j["Env"] = {"LANG=C", "MODE=prod"};
  BundleOverrides o;
  o.env = {"MODE=dev", "EXTRA=1"};
  o.hostname = "";
  const json c = make_runtime_config(j, o, rootfs_.path());
  EXPECT_EQ(
      strings(c["process"]["env"]),
      (std::vector<std::string>{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                "LANG=C", "MODE=dev", "EXTRA=1"}));
  EXPECT_FALSE(c.contains("hostname"));
}

TEST_F(RuntimeConfigTest, WorkingDirFromImageAndOverride) {
  json j = busybox_config();
  j["WorkingDir"] = "/app";
  EXPECT_EQ(make_runtime_config(j, none(), rootfs_.path())["process"]["cwd"], "/app");
  BundleOverrides o;
  o.working_dir = "/srv";
  EXPECT_EQ(make_runtime_config(j, o, rootfs_.path())["process"]["cwd"], "/srv");
  j["WorkingDir"] = "app";
  EXPECT_NE(error_of(j, none(), rootfs_.path()).find("config.WorkingDir"), std::string::npos);
}

TEST_F(RuntimeConfigTest, BadTypesNameTheField) {
  json j = busybox_config();
  j["Cmd"] = "sh -c true";
  EXPECT_NE(error_of(j, none(), rootfs_.path()).find("config.Cmd"), std::string::npos);
  j = busybox_config();
  j["Env"] = {"A=1", 2};
  EXPECT_NE(error_of(j, none(), rootfs_.path()).find("config.Env[1]"), std::string::npos);
  j = busybox_config();
  j["User"] = 1000;
  EXPECT_NE(error_of(j, none(), rootfs_.path()).find("config.User"), std::string::npos);
  EXPECT_NE(error_of(json::array(), none(), rootfs_.path()).find("config"), std::string::npos);
}

TEST_F(RuntimeConfigTest, UserFromImageAndUnknownUser) {
  json j = busybox_config();
  j["User"] = "daemon";
  EXPECT_EQ(make_runtime_config(j, none(), rootfs_.path())["process"]["user"],
            (json{{"uid", 1}, {"gid", 1}}));
  j["User"] = "nobody";
  const std::string err = error_of(j, none(), rootfs_.path());
  EXPECT_NE(err.find("config.User"), std::string::npos) << err;
  EXPECT_NE(err.find("nobody"), std::string::npos) << err;
}

TEST_F(RuntimeConfigTest, ExtraMountReplacesStandardDestination) {
  BundleOverrides o;
  o.mounts.push_back({"/dev/shm", "shm", "tmpfs", {"size=1g"}, false});
  const json c = make_runtime_config(busybox_config(), o, rootfs_.path());
  int count = 0;
  for (const json& m : c["mounts"]) {
    if (m["destination"] == "/dev/shm") {
      ++count;
      EXPECT_EQ(strings(m["options"]), (std::vector<std::string>{"rw", "size=1g"}));
    }
  }
  EXPECT_EQ(count, 1);
  o.mounts[0].destination = "relative";
  EXPECT_NE(error_of(busybox_config(), o, rootfs_.path()).find("overrides.mounts[0].destination"),
            std::string::npos);
}

TEST(Capabilities, DefaultSetIsDockers) {
  EXPECT_EQ(effective_capabilities(none()), default_capabilities());
  EXPECT_EQ(default_capabilities().size(), 14u);
}

TEST(Capabilities, AddAndDrop) {
  BundleOverrides o;
  o.cap_add = {"sys_admin", "CAP_NET_ADMIN"};
  o.cap_drop = {"NET_RAW", "CAP_MKNOD"};
  const std::vector<std::string> caps = effective_capabilities(o);
  EXPECT_EQ(caps.size(), 14u);
  auto has = [&](const char* c) { return std::find(caps.begin(), caps.end(), c) != caps.end(); };
  EXPECT_TRUE(has("CAP_SYS_ADMIN"));
  EXPECT_TRUE(has("CAP_NET_ADMIN"));
  EXPECT_FALSE(has("CAP_NET_RAW"));
  EXPECT_FALSE(has("CAP_MKNOD"));
}

TEST(Capabilities, DropAllKeepsOnlyAdds) {
  BundleOverrides o;
  o.cap_drop = {"ALL"};
  EXPECT_TRUE(effective_capabilities(o).empty());
  o.cap_add = {"NET_BIND_SERVICE"};
  EXPECT_EQ(effective_capabilities(o), std::vector<std::string>{"CAP_NET_BIND_SERVICE"});
}

TEST(Capabilities, AddAllMinusDrops) {
  BundleOverrides o;
  o.cap_add = {"ALL"};
  o.cap_drop = {"SYS_MODULE"};
  const std::vector<std::string> caps = effective_capabilities(o);
  // ALL is our bounding set (what capset would take), less the drop.
  std::size_t bounding = 0;
  for (const auto& name : oci::all_capability_names()) {
    const auto bit = oci::capability_from_name(name);
    if (::prctl(PR_CAPBSET_READ, static_cast<unsigned long>(*bit), 0, 0, 0) == 1) ++bounding;
  }
  ASSERT_EQ(::prctl(PR_CAPBSET_READ, CAP_SYS_MODULE, 0, 0, 0), 1);
  EXPECT_EQ(caps.size(), bounding - 1);
  EXPECT_EQ(std::find(caps.begin(), caps.end(), "CAP_SYS_MODULE"), caps.end());
}

TEST(Capabilities, UnknownNameIsAnError) {
  BundleOverrides o;
  o.cap_drop = {"CHOWN", "FLY"};
  try {
    effective_capabilities(o);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("overrides.capDrop[1]"), std::string::npos) << e.what();
  }
}

TEST_F(RuntimeConfigTest, DropAllParsesWithEmptySets) {
  BundleOverrides o;
  o.cap_drop = {"ALL"};
  const json c = make_runtime_config(busybox_config(), o, rootfs_.path());
  EXPECT_TRUE(c["process"]["capabilities"]["bounding"].empty());
  const oci::Spec s = oci::parse_spec(c);
  ASSERT_TRUE(s.process && s.process->capabilities);
  EXPECT_TRUE(s.process->capabilities->effective.empty());
}

TEST_F(RuntimeConfigTest, RlimitsReplaceTheDefaultAndAdd) {
  BundleOverrides o;
  o.rlimits = {{.type = "RLIMIT_NOFILE", .soft = 4096, .hard = 8192},
               {.type = "RLIMIT_CORE", .soft = 0, .hard = UINT64_MAX}};
  const json c = make_runtime_config(busybox_config(), o, rootfs_.path());
  EXPECT_EQ(c["process"]["rlimits"],
            (json{{{"type", "RLIMIT_NOFILE"}, {"hard", 8192}, {"soft", 4096}},
                  {{"type", "RLIMIT_CORE"}, {"hard", UINT64_MAX}, {"soft", 0}}}));
  EXPECT_NO_THROW(oci::parse_spec(c));
  o.rlimits = {{.type = "RLIMIT_BOGUS", .soft = 1, .hard = 1}};
  EXPECT_EQ(error_of(busybox_config(), o, rootfs_.path()),
            "overrides.rlimits[0].type: unknown rlimit \"RLIMIT_BOGUS\"");
  o.rlimits = {{.type = "RLIMIT_NPROC", .soft = 2, .hard = 1}};
  EXPECT_EQ(error_of(busybox_config(), o, rootfs_.path()),
            "overrides.rlimits[0]: soft limit is above hard limit");
}

TEST_F(RuntimeConfigTest, AnnotationsFromTheTaskAndStopSignalFromTheImage) {
  BundleOverrides o;
  o.annotations = {{"com.example.team", "edge"}, {"org.opencontainers.image.stopSignal", "X"}};
  const json c = make_runtime_config(busybox_config(), o, rootfs_.path());
  EXPECT_EQ(c["annotations"], (json{{"com.example.team", "edge"},
                                    {"org.opencontainers.image.stopSignal", "SIGQUIT"}}));
  o.annotations = {{"", "x"}};
  EXPECT_EQ(error_of(busybox_config(), o, rootfs_.path()),
            "overrides.annotations: keys must not be empty");
}

TEST_F(RuntimeConfigTest, HostAndJoinedNamespaces) {
  BundleOverrides o;
  o.host_namespaces = {"network", "ipc"};
  o.join_namespaces = {{"pid", "/proc/77/ns/pid"}};
  const json c = make_runtime_config(busybox_config(), o, rootfs_.path());
  EXPECT_EQ(c["linux"]["namespaces"], (json{{{"type", "pid"}, {"path", "/proc/77/ns/pid"}},
                                            {{"type", "uts"}},
                                            {{"type", "mount"}},
                                            {{"type", "cgroup"}}}));
  EXPECT_NO_THROW(oci::parse_spec(c));
  o.host_namespaces = {"mount"};
  EXPECT_EQ(error_of(busybox_config(), o, rootfs_.path()),
            "overrides.hostNamespaces[0]: must be network, pid or ipc, got \"mount\"");
  o.host_namespaces.clear();
  o.join_namespaces = {{"ipc", "ns/ipc"}};
  EXPECT_EQ(error_of(busybox_config(), o, rootfs_.path()),
            "overrides.joinNamespaces.ipc: must be an absolute path, got \"ns/ipc\"");
  o.join_namespaces = {{"network", "/x"}};
  EXPECT_EQ(error_of(busybox_config(), o, rootfs_.path()),
            "overrides.joinNamespaces: can join pid or ipc, not \"network\"");
}

}  // namespace
}  // namespace skiff::image
