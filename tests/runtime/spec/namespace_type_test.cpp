#include <gtest/gtest.h>
#include <sched.h>

#include "runtime/spec/spec.h"

namespace skiff::oci {
namespace {

TEST(NamespaceType, NamesFlagsAndProcEntries) {
  struct Row {
    NamespaceType type;
    const char* spec_name;
    const char* proc_name;
    int flag;
  };
  const Row rows[] = {
      {NamespaceType::Pid, "pid", "pid", CLONE_NEWPID},
      {NamespaceType::Network, "network", "net", CLONE_NEWNET},
      {NamespaceType::Mount, "mount", "mnt", CLONE_NEWNS},
      {NamespaceType::Ipc, "ipc", "ipc", CLONE_NEWIPC},
      {NamespaceType::Uts, "uts", "uts", CLONE_NEWUTS},
      {NamespaceType::User, "user", "user", CLONE_NEWUSER},
      {NamespaceType::Cgroup, "cgroup", "cgroup", CLONE_NEWCGROUP},
      {NamespaceType::Time, "time", "time", CLONE_NEWTIME},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.spec_name);
    EXPECT_EQ(to_string(row.type), row.spec_name);
    EXPECT_EQ(proc_ns_name(row.type), row.proc_name);
    EXPECT_EQ(clone_flag(row.type), row.flag);
    EXPECT_EQ(namespace_type_from_string(row.spec_name), row.type);
  }
  EXPECT_EQ(namespace_type_from_string("net"), std::nullopt);  // the /proc name is not the type
}

TEST(NamespaceType, FindLooksUpByType) {
  LinuxConfig linux_config;
  linux_config.namespaces = {{NamespaceType::Pid, ""}, {NamespaceType::Network, "/run/netns/a"}};
  ASSERT_NE(linux_config.find(NamespaceType::Network), nullptr);
  EXPECT_EQ(linux_config.find(NamespaceType::Network)->path, "/run/netns/a");
  EXPECT_TRUE(linux_config.has(NamespaceType::Pid));
  EXPECT_FALSE(linux_config.has(NamespaceType::User));
  EXPECT_EQ(linux_config.find(NamespaceType::User), nullptr);
}

}  // namespace
}  // namespace skiff::oci
