// Configs real tools write: `runc spec` (runc 1.1.5), `crun spec` (crun 1.8.1), and a
// podman 4-style config.json with bind mounts, hooks, resources, seccomp and a joined netns.
#include <gtest/gtest.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "runtime/spec/spec.h"
#include "spec_test_util.h"

namespace skiff::oci {
namespace {

TEST(Fixtures, RuncSpecParses) {
  Spec spec = parse_spec(test::load_fixture("runc_spec.json"));
  EXPECT_EQ(spec.oci_version, "1.0.2-dev");
  ASSERT_TRUE(spec.process.has_value());
  EXPECT_TRUE(spec.process->terminal);
  ASSERT_TRUE(spec.process->capabilities.has_value());
  EXPECT_EQ(spec.process->capabilities->ambient,
            (std::vector<int>{CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE}));
  EXPECT_EQ(spec.mounts.size(), 7u);
  EXPECT_EQ(spec.mounts[5].destination, "/sys");
  EXPECT_EQ(spec.mounts[5].flags,
            static_cast<unsigned long>(MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY));
  EXPECT_EQ(spec.linux_config.namespaces.size(), 5u);
  EXPECT_FALSE(spec.linux_config.has(NamespaceType::Cgroup));
  EXPECT_EQ(spec.linux_config.masked_paths.front(), "/proc/acpi");
}

TEST(Fixtures, CrunSpecParses) {
  Spec spec = parse_spec(test::load_fixture("crun_spec.json"));
  EXPECT_EQ(spec.oci_version, "1.0.0");
  ASSERT_TRUE(spec.process->capabilities.has_value());
  EXPECT_TRUE(spec.process->capabilities->inheritable.empty());  // written as []
  EXPECT_EQ(spec.hostname, "crun");
  EXPECT_EQ(spec.mounts[2].data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
}

TEST(Fixtures, PodmanConfigParses) {
  Spec spec = parse_spec(test::load_fixture("podman_config.json"));
  ASSERT_TRUE(spec.process.has_value());
  const Process& p = *spec.process;
  EXPECT_EQ(p.console_size.height, 48u);
  EXPECT_EQ(p.console_size.width, 160u);
  EXPECT_EQ(p.user.umask, mode_t{022});
  EXPECT_EQ(p.user.additional_gids.size(), 11u);
  EXPECT_EQ(p.capabilities->bounding.size(), 11u);
  EXPECT_EQ(p.capabilities->bounding.back(), CAP_SYS_CHROOT);
  EXPECT_EQ(p.oom_score_adj, 0);
  EXPECT_EQ(p.apparmor_profile, "containers-default-0.50.0");
  ASSERT_EQ(p.rlimits.size(), 2u);
  EXPECT_EQ(p.rlimits[1].resource, RLIMIT_NPROC);
  EXPECT_EQ(p.rlimits[1].hard, 4194304u);

  EXPECT_FALSE(spec.root.readonly);
  ASSERT_EQ(spec.mounts.size(), 13u);
  const Mount& hosts = spec.mounts[7];
  EXPECT_EQ(hosts.destination, "/etc/hosts");
  EXPECT_TRUE(hosts.is_bind());
  EXPECT_EQ(hosts.flags, static_cast<unsigned long>(MS_BIND));
  EXPECT_EQ(hosts.propagation, static_cast<unsigned long>(MS_PRIVATE | MS_REC));
  const Mount& data = spec.mounts[10];
  EXPECT_EQ(data.flags, static_cast<unsigned long>(MS_BIND | MS_REC | MS_NOSUID | MS_NODEV));
  EXPECT_EQ(data.clear_flags, static_cast<unsigned long>(MS_RDONLY));
  const Mount& tmp = spec.mounts[11];
  EXPECT_EQ(tmp.type, "tmpfs");
  EXPECT_EQ(tmp.data, "");  // tmpcopyup is accepted and dropped

  EXPECT_EQ(spec.hooks.prestart.size(), 1u);
  EXPECT_EQ(spec.hooks.prestart[0].args[1], "prestart");
  ASSERT_EQ(spec.hooks.poststop.size(), 1u);
  EXPECT_EQ(spec.hooks.poststop[0].timeout, 30);
  EXPECT_EQ(spec.annotations.at("io.container.manager"), "libpod");

  const LinuxConfig& l = spec.linux_config;
  EXPECT_EQ(l.cgroups_path, "machine.slice:libpod:5c1d3a9e2b7f");
  EXPECT_EQ(l.resources.memory_limit, 536870912);
  EXPECT_EQ(l.resources.pids_limit, 2048);
  EXPECT_EQ(l.resources.cpu_shares, 512u);
  ASSERT_EQ(l.device_rules.size(), 3u);
  EXPECT_TRUE(l.device_rules[1].allow);
  EXPECT_EQ(l.device_rules[1].type, 'c');
  EXPECT_EQ(l.device_rules[1].major, 10);
  EXPECT_EQ(l.device_rules[1].minor, 229);
  EXPECT_FALSE(l.device_rules[2].minor.has_value());  // -1 means any
  ASSERT_EQ(l.devices.size(), 1u);
  EXPECT_EQ(l.devices[0].path, "/dev/fuse");
  EXPECT_EQ(l.devices[0].file_mode, mode_t{8630});
  ASSERT_NE(l.find(NamespaceType::Network), nullptr);
  EXPECT_EQ(l.find(NamespaceType::Network)->path,
            "/run/netns/netns-8a1c2f3e-4b5d-6e7f-8091-a2b3c4d5e6f7");
  EXPECT_EQ(l.sysctl.at("net.ipv4.ping_group_range"), "0 0");
  ASSERT_TRUE(l.seccomp.has_value());
  EXPECT_EQ(l.seccomp->default_action, SeccompAction::Errno);
  EXPECT_EQ(l.seccomp->default_errno_ret, 38u);
  EXPECT_EQ(l.seccomp->syscalls.size(), 8u);
  EXPECT_EQ(l.seccomp->syscalls[3].args[0].value, 4294967295u);
  EXPECT_EQ(l.masked_paths.back(), "/sys/dev/block");
}

}  // namespace
}  // namespace skiff::oci
