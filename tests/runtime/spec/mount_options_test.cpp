#include <gtest/gtest.h>
#include <sys/mount.h>

#include "runtime/spec/spec.h"
#include "spec_test_util.h"

namespace skiff::oci {
namespace {

using nlohmann::json;

Mount mount_with(const json& options, const std::string& type = "tmpfs") {
  json config = {
      {"ociVersion", "1.1.0"},
      {"root", {{"path", "rootfs"}}},
      {"mounts",
       {{{"destination", "/mnt"}, {"type", type}, {"source", "src"}, {"options", options}}}}};
  return parse_spec(config).mounts.at(0);
}

TEST(MountOptions, FlagsPropagationAndData) {
  Mount m = mount_with({"rbind", "ro", "nosuid", "rprivate", "size=10m", "mode=755"});
  EXPECT_EQ(m.flags, static_cast<unsigned long>(MS_BIND | MS_REC | MS_RDONLY | MS_NOSUID));
  EXPECT_EQ(m.clear_flags, 0ul);
  EXPECT_EQ(m.propagation, static_cast<unsigned long>(MS_PRIVATE | MS_REC));
  EXPECT_EQ(m.data, "size=10m,mode=755");
  EXPECT_TRUE(m.is_bind());
  EXPECT_EQ(m.options.size(), 6u);  // kept as written
}

TEST(MountOptions, ClearingOptions) {
  Mount m = mount_with({"rw", "suid", "dev", "exec", "async", "atime", "diratime", "nomand",
                        "norelatime", "nostrictatime", "symfollow"});
  EXPECT_EQ(m.flags, 0ul);
  EXPECT_EQ(m.clear_flags,
            static_cast<unsigned long>(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC |
                                       MS_SYNCHRONOUS | MS_NOATIME | MS_NODIRATIME | MS_MANDLOCK |
                                       MS_RELATIME | MS_STRICTATIME | MS_NOSYMFOLLOW));
  EXPECT_EQ(m.data, "");
}

TEST(MountOptions, EachFlagOption) {
  struct Row {
    const char* option;
    unsigned long flags;
  };
  const Row rows[] = {
      {"ro", MS_RDONLY},
      {"nosuid", MS_NOSUID},
      {"nodev", MS_NODEV},
      {"noexec", MS_NOEXEC},
      {"sync", MS_SYNCHRONOUS},
      {"dirsync", MS_DIRSYNC},
      {"remount", MS_REMOUNT},
      {"mand", MS_MANDLOCK},
      {"noatime", MS_NOATIME},
      {"nodiratime", MS_NODIRATIME},
      {"relatime", MS_RELATIME},
      {"strictatime", MS_STRICTATIME},
      {"nosymfollow", MS_NOSYMFOLLOW},
      {"bind", MS_BIND},
      {"rbind", MS_BIND | MS_REC},
      {"defaults", 0},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.option);
    Mount m = mount_with({row.option});
    EXPECT_EQ(m.flags, row.flags);
    EXPECT_EQ(m.data, "");
  }
}

TEST(MountOptions, EachPropagation) {
  struct Row {
    const char* option;
    unsigned long propagation;
  };
  const Row rows[] = {
      {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
      {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
      {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
      {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.option);
    Mount m = mount_with({row.option});
    EXPECT_EQ(m.propagation, row.propagation);
    EXPECT_EQ(m.flags, 0ul);  // MS_REC of "rprivate" is not a bind's MS_REC
  }
}

TEST(MountOptions, LaterOptionsWin) {
  Mount m = mount_with({"ro", "rw", "noexec", "exec", "nosuid"});
  EXPECT_EQ(m.flags, static_cast<unsigned long>(MS_NOSUID));
  EXPECT_EQ(m.clear_flags, static_cast<unsigned long>(MS_RDONLY | MS_NOEXEC));
  m = mount_with({"rw", "ro", "shared", "rslave"});
  EXPECT_EQ(m.flags, static_cast<unsigned long>(MS_RDONLY));
  EXPECT_EQ(m.clear_flags, 0ul);
  EXPECT_EQ(m.propagation, static_cast<unsigned long>(MS_SLAVE | MS_REC));
}

TEST(MountOptions, BindTypeImpliesBind) {
  Mount m = mount_with({"ro"}, "bind");
  EXPECT_TRUE(m.is_bind());
  EXPECT_EQ(m.flags, static_cast<unsigned long>(MS_BIND | MS_RDONLY));
  EXPECT_FALSE(mount_with({"ro"}, "tmpfs").is_bind());
}

TEST(MountOptions, FilesystemDataKeepsOrder) {
  Mount m = mount_with({"nosuid", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}, "devpts");
  EXPECT_EQ(m.data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
  EXPECT_EQ(m.flags, static_cast<unsigned long>(MS_NOSUID));
}

TEST(MountOptions, TmpcopyupIsAcceptedAndIgnored) {
  Mount m = mount_with({"rw", "tmpcopyup", "size=1m"});
  EXPECT_EQ(m.data, "size=1m");
}

TEST(MountOptions, UnsupportedOptions) {
  json config = default_spec();
  config["mounts"][1]["options"] = {"nosuid", "idmap"};
  EXPECT_EQ(test::spec_error(config),
            "mounts[1].options[1]: \"idmap\": idmapped mounts are not supported by skiff");
  config["mounts"][1]["options"] = {"rro"};
  EXPECT_EQ(test::spec_error(config),
            "mounts[1].options[0]: \"rro\": recursive mount attributes are not supported by skiff");
  config["mounts"][1]["options"] = {"ro"};
  config["mounts"][1]["type"] = "bind";
  config["mounts"][1].erase("source");
  EXPECT_EQ(test::spec_error(config), "mounts[1].source: is required for a bind mount");
}

}  // namespace
}  // namespace skiff::oci
