// Archives written by an independent tool (skopeo, from a umoci-made OCI layout) import,
// become bundles and run under skiff-runtime with skiff-probe inside (root).
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "image/service/images.h"
#include "runtime_harness.h"
#include "tests/image/service/image_builder.h"
#include "tests/image/unpack/temp_dir.h"

namespace skiff::image {
namespace {

namespace fs = std::filesystem;
using skiff::testing::run_command;

class SkopeoArchive : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir;
    auto layout = run_command(
        {SKIFF_FIXTURES "/make-oci-layout.sh", (*dir_ / "layout").string(), SKIFF_PROBE}, 120);
    ASSERT_EQ(layout.exit_code, 0) << layout.err;
    auto docker = run_command(
        {"/usr/bin/skopeo", "copy", "--quiet", "oci:" + (*dir_ / "layout").string() + ":latest",
         "docker-archive:" + (*dir_ / "image.tar").string() + ":skiff/probe:1"});
    ASSERT_EQ(docker.exit_code, 0) << docker.err;
    auto oci = run_command({"/usr/bin/skopeo", "copy", "--quiet",
                            "oci:" + (*dir_ / "layout").string() + ":latest",
                            "oci-archive:" + (*dir_ / "probe-oci.tar").string() + ":latest"});
    ASSERT_EQ(oci.exit_code, 0) << oci.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void TearDown() override {
    for (const std::string& m : test::mounts_under(tmp_.path())) unmount_if_mounted(m);
  }
  static test::TempDir* dir_;
  test::TempDir tmp_;
};

test::TempDir* SkopeoArchive::dir_ = nullptr;

TEST_F(SkopeoArchive, DockerArchiveImportsAndRunsUnderSkiffRuntime) {
  Images images(tmp_ / "store");
  std::vector<ImageRecord> recs = images.import(*dir_ / "image.tar");
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].name, "docker.io/skiff/probe:1");

  BundleOverrides o;
  o.command = std::vector<std::string>{"/bin/skiff-probe", "report"};
  BundleInfo info = images.create_bundle("skiff/probe:1", tmp_ / "bundle", o, "skopeo-run");
  EXPECT_EQ(info.mode, SnapshotMode::kOverlay);

  skiff::testing::Runtime rt;
  auto r = rt({"run", "--bundle", (tmp_ / "bundle").string(), "skopeo-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json report = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << r.out;
  EXPECT_TRUE(report.is_object()) << r.out;
  EXPECT_NE(r.out.find("\"pid\""), std::string::npos) << r.out;

  images.remove_bundle(tmp_ / "bundle");
  EXPECT_TRUE(test::mounts_under(tmp_.path()).empty());
  // The runtime left nothing either (our overlay at rootfs is gone by now).
  std::vector<std::string> left =
      skiff::testing::leftovers(rt, "skopeo-run", tmp_ / "bundle/rootfs");
  EXPECT_TRUE(left.empty()) << left.front();
}

TEST_F(SkopeoArchive, OciArchiveAndLayoutRoundTrip) {
  Images images(tmp_ / "store");
  std::vector<ImageRecord> recs = images.import(*dir_ / "probe-oci.tar");
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].name, "localhost/probe-oci:latest");
  // Same image as the docker-archive: the layers are identical (uncompressed DiffIDs).
  images.import(*dir_ / "image.tar");
  auto a = images.inspect("localhost/probe-oci:latest")["layers"][0]["diffId"];
  auto b = images.inspect("skiff/probe:1")["layers"][0]["diffId"];
  EXPECT_EQ(a, b);

  images.export_layout("skiff/probe:1", tmp_ / "exported");
  Images other(tmp_ / "store2");
  std::vector<ImageRecord> again = other.import(tmp_ / "exported");
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].manifest, images.resolve("skiff/probe:1").manifest_desc.digest);
  // skopeo reads what we exported.
  auto check = run_command(
      {"/usr/bin/skopeo", "inspect", "--raw", "oci:" + (tmp_ / "exported").string() + ":1"});
  EXPECT_EQ(check.exit_code, 0) << check.err;
}

}  // namespace
}  // namespace skiff::image
