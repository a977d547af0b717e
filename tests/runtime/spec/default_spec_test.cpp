#include <gtest/gtest.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "runtime/spec/spec.h"
#include "spec_test_util.h"

namespace skiff::oci {
namespace {

TEST(DefaultSpec, ParsesIntoTheDocumentedDefaults) {
  const nlohmann::json config = default_spec();
  Spec spec = parse_spec(config);

  EXPECT_EQ(spec.oci_version, "1.1.0");
  EXPECT_EQ(spec.root.path, "rootfs");
  EXPECT_TRUE(spec.root.readonly);
  EXPECT_EQ(spec.hostname, "skiff");
  EXPECT_EQ(spec.raw, config);

  ASSERT_TRUE(spec.process.has_value());
  const Process& p = *spec.process;
  EXPECT_FALSE(p.terminal);  // scripts run it without a tty
  EXPECT_EQ(p.args, std::vector<std::string>{"sh"});
  ASSERT_EQ(p.env.size(), 2u);
  EXPECT_EQ(p.env[1], "TERM=xterm");
  EXPECT_EQ(p.cwd, "/");
  EXPECT_TRUE(p.no_new_privileges);
  ASSERT_EQ(p.rlimits.size(), 1u);
  EXPECT_EQ(p.rlimits[0].resource, RLIMIT_NOFILE);
  EXPECT_EQ(p.rlimits[0].soft, 1024u);
  EXPECT_EQ(p.rlimits[0].hard, 1024u);

  ASSERT_TRUE(p.capabilities.has_value());
  const std::vector<int> docker_caps = {
      CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FSETID,           CAP_FOWNER,
      CAP_MKNOD,   CAP_NET_RAW,      CAP_SETGID,           CAP_SETUID,
      CAP_SETFCAP, CAP_SETPCAP,      CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
      CAP_KILL,    CAP_AUDIT_WRITE};
  EXPECT_EQ(p.capabilities->bounding, docker_caps);
  EXPECT_EQ(p.capabilities->effective, docker_caps);
  EXPECT_EQ(p.capabilities->permitted, docker_caps);
  EXPECT_TRUE(p.capabilities->inheritable.empty());
  EXPECT_TRUE(p.capabilities->ambient.empty());

  std::vector<std::string> destinations;
  for (const Mount& m : spec.mounts) destinations.push_back(m.destination);
  EXPECT_EQ(destinations, (std::vector<std::string>{"/proc", "/dev", "/dev/pts", "/dev/shm",
                                                    "/dev/mqueue", "/sys", "/sys/fs/cgroup"}));
  const Mount& dev = spec.mounts[1];
  EXPECT_EQ(dev.flags, static_cast<unsigned long>(MS_NOSUID | MS_STRICTATIME));
  EXPECT_EQ(dev.data, "mode=755,size=65536k");
  const Mount& pts = spec.mounts[2];
  EXPECT_EQ(pts.flags, static_cast<unsigned long>(MS_NOSUID | MS_NOEXEC));
  EXPECT_EQ(pts.data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
  const Mount& cgroup = spec.mounts[6];
  EXPECT_EQ(cgroup.flags,
            static_cast<unsigned long>(MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RELATIME | MS_RDONLY));
  EXPECT_FALSE(cgroup.is_bind());

  std::vector<NamespaceType> types;
  for (const Namespace& ns : spec.linux_config.namespaces) {
    types.push_back(ns.type);
    EXPECT_TRUE(ns.path.empty());
  }
  EXPECT_EQ(types, (std::vector<NamespaceType>{NamespaceType::Pid, NamespaceType::Network,
                                               NamespaceType::Ipc, NamespaceType::Uts,
                                               NamespaceType::Mount, NamespaceType::Cgroup}));
  EXPECT_FALSE(spec.linux_config.has(NamespaceType::User));
  EXPECT_EQ(spec.linux_config.masked_paths.size(), 11u);
  EXPECT_EQ(spec.linux_config.readonly_paths.size(), 5u);
  ASSERT_EQ(spec.linux_config.device_rules.size(), 1u);
  EXPECT_FALSE(spec.linux_config.device_rules[0].allow);
  EXPECT_EQ(spec.linux_config.device_rules[0].type, 'a');
  EXPECT_FALSE(spec.linux_config.device_rules[0].major.has_value());
  EXPECT_EQ(spec.linux_config.device_rules[0].access, "rwm");
}

// What `spec` writes to disk must load back through load_spec unchanged.
TEST(DefaultSpec, RoundTripsThroughABundle) {
  test::TempDir bundle;
  bundle.write("config.json", default_spec().dump(2));
  Spec spec = load_spec(bundle.path());
  EXPECT_EQ(spec.raw, default_spec());
  EXPECT_EQ(spec.mounts.size(), 7u);
  EXPECT_EQ(spec.linux_config.namespaces.size(), 6u);
}

}  // namespace
}  // namespace skiff::oci
