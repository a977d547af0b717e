// `skiffctl image ...` end to end through the real binary (root: bundles mount overlays).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "common/file_io.h"
#include "image/snapshots/overlay.h"
#include "runtime_harness.h"
#include "tests/image/service/image_builder.h"
#include "tests/image/unpack/tar_builder.h"
#include "tests/image/unpack/temp_dir.h"

namespace skiff::image {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using skiff::testing::CommandResult;

class SkiffctlImage : public ::testing::Test {
 protected:
  void SetUp() override {
    test::TarBuilder(tmp_ / "l.tar").dir("etc/").file("etc/hostname", "ctl\n").finish();
    test::write_docker_archive(tmp_ / "img.tar", {tmp_ / "l.tar"}, {"localhost/ctl:1"});
  }
  void TearDown() override {
    for (const std::string& m : test::mounts_under(tmp_.path())) unmount_if_mounted(m);
  }
  CommandResult ctl(const std::vector<std::string>& args, bool json_output = false) {
    std::vector<std::string> full{SKIFFCTL_BIN, "--root", (tmp_ / "store").string()};
    if (json_output) full.emplace_back("--json");
    for (const std::string& a : args) full.push_back(a);
    return skiff::testing::run_command(full);
  }
  json ctl_json(const std::vector<std::string>& args) {
    CommandResult r = ctl(args, true);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out;
    return j;
  }
  test::TempDir tmp_;
};

TEST_F(SkiffctlImage, ImportListInspectBundleRemovePrune) {
  json imported = ctl_json({"image", "import", (tmp_ / "img.tar").string()});
  ASSERT_EQ(imported.size(), 1u);
  EXPECT_EQ(imported[0]["name"], "localhost/ctl:1");

  json ls = ctl_json({"image", "ls"});
  ASSERT_EQ(ls.size(), 1u);
  EXPECT_EQ(ls[0]["name"], "localhost/ctl:1");
  EXPECT_EQ(ls[0]["containers"], 0);
  CommandResult table = ctl({"image", "ls"});
  EXPECT_EQ(table.exit_code, 0);
  EXPECT_NE(table.out.find("NAME"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("localhost/ctl:1"), std::string::npos) << table.out;

  json inspect = ctl_json({"image", "inspect", "localhost/ctl:1"});
  EXPECT_EQ(inspect["layers"].size(), 1u);
  EXPECT_EQ(inspect["config"]["config"]["Cmd"][0], "/bin/sh");

  // --json after the subcommand works too (global options fall through).
  CommandResult b = ctl({"image", "bundle", "--json", "--user", "0", "-e", "A=b", "localhost/ctl:1",
                         (tmp_ / "bundle").string(), "--", "/bin/echo", "hi"});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  json bj = json::parse(b.out);
  EXPECT_EQ(bj["id"], "bundle");
  EXPECT_EQ(bj["mode"], "overlay");
  EXPECT_EQ(skiff::read_file(tmp_ / "bundle/rootfs/etc/hostname"), "ctl\n");
  json config = json::parse(skiff::read_file(tmp_ / "bundle/config.json"));
  EXPECT_EQ(config["process"]["args"], json({"/bin/echo", "hi"}));
  EXPECT_EQ(ctl_json({"image", "ls"})[0]["containers"], 1);

  CommandResult rm = ctl({"image", "rm", "localhost/ctl:1"});
  EXPECT_EQ(rm.exit_code, 1);
  EXPECT_NE(rm.err.find("in use by bundle bundle"), std::string::npos) << rm.err;

  ctl_json({"image", "rm-bundle", (tmp_ / "bundle").string()});
  EXPECT_FALSE(fs::exists(tmp_ / "bundle"));
  EXPECT_TRUE(test::mounts_under(tmp_.path()).empty());
  ctl_json({"image", "rm", "localhost/ctl:1"});
  EXPECT_TRUE(ctl_json({"image", "ls"}).empty());
  json pruned = ctl_json({"image", "prune"});
  EXPECT_EQ(pruned["blobsRemoved"], 3);
  EXPECT_EQ(pruned["snapshotsRemoved"].size(), 1u);
  EXPECT_EQ(ctl_json({"image", "gc"})["blobsRemoved"], 0);
}

TEST_F(SkiffctlImage, BadInputNamesTheFile) {
  CommandResult missing = ctl({"image", "import", (tmp_ / "nope.tar").string()});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find((tmp_ / "nope.tar").string()), std::string::npos) << missing.err;

  std::ofstream(tmp_ / "junk.tar") << "not an archive";
  CommandResult junk = ctl({"image", "import", (tmp_ / "junk.tar").string()});
  EXPECT_EQ(junk.exit_code, 1);
  EXPECT_NE(junk.err.find((tmp_ / "junk.tar").string()), std::string::npos) << junk.err;

  CommandResult unknown = ctl({"image", "inspect", "localhost/none:1"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("localhost/none:1"), std::string::npos) << unknown.err;

  CommandResult usage = ctl({"image", "import"});
  EXPECT_NE(usage.exit_code, 0);
  EXPECT_TRUE(ctl_json({"image", "ls"}).empty());
}

}  // namespace
}  // namespace skiff::image
