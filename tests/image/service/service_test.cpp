// The image service without mounts: names, resolution, list/inspect/remove, prune of
// unnamed content, a damaged index.
#include <gtest/gtest.h>

#include <fstream>

#include "common/error.h"
#include "common/file_io.h"
#include "image/service/images.h"
#include "tests/image/service/image_builder.h"
#include "tests/image/unpack/tar_builder.h"
#include "tests/image/unpack/temp_dir.h"

namespace skiff::image {
namespace {

namespace fs = std::filesystem;
using test::TarBuilder;

class Service : public ::testing::Test {
 protected:
  void SetUp() override { TarBuilder(tmp_ / "l.tar").file("hello", "hi\n").finish(); }
  test::TempDir tmp_;
};

TEST_F(Service, NamesAreNormalisedAndResolvable) {
  Images images(tmp_ / "store");
  Descriptor m = test::add_image(images, "busybox", {tmp_ / "l.tar"});
  std::vector<ImageSummary> all = images.list();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].name, "docker.io/library/busybox:latest");
  EXPECT_EQ(all[0].manifest, m.digest);
  for (const char* ref :
       {"busybox", "busybox:latest", "docker.io/library/busybox:latest", "library/busybox"}) {
    EXPECT_EQ(images.resolve(ref).manifest_desc.digest, m.digest) << ref;
  }
  // By a prefix of the manifest digest or of the image ID (config digest).
  EXPECT_EQ(images.resolve(m.digest.hex().substr(0, 12)).name, all[0].name);
  EXPECT_EQ(images.resolve(all[0].config.str()).name, all[0].name);
  try {
    images.resolve("alpine");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("\"alpine\": not found"), std::string::npos) << e.what();
  }
}

TEST_F(Service, InspectShowsLayersAndDiffIds) {
  Images images(tmp_ / "store");
  test::add_image(images, "localhost/x:1", {tmp_ / "l.tar"}, {{"Cmd", {"/bin/true"}}});
  nlohmann::json j = images.inspect("localhost/x:1");
  EXPECT_EQ(j["name"], "localhost/x:1");
  ASSERT_EQ(j["layers"].size(), 1u);
  EXPECT_EQ(j["layers"][0]["diffId"], j["layers"][0]["digest"]) << "uncompressed layer";
  EXPECT_EQ(j["layers"][0]["chainId"], j["layers"][0]["diffId"]) << "ChainID(L0) = DiffID(L0)";
  EXPECT_FALSE(j["layers"][0]["unpacked"].get<bool>());
  EXPECT_EQ(j["config"]["config"]["Cmd"][0], "/bin/true");
}

TEST_F(Service, RemoveThenPruneDropsTheBlobs) {
  Images images(tmp_ / "store");
  test::add_image(images, "localhost/a:1", {tmp_ / "l.tar"});
  test::add_image(images, "localhost/b:1", {tmp_ / "l.tar"}, {{"Cmd", {"/b"}}});
  EXPECT_EQ(images.store().list().size(), 5u);  // shared layer, 2 configs, 2 manifests
  images.remove("localhost/a:1");
  PruneReport r = images.prune();
  EXPECT_EQ(r.blobs_removed, 2u);
  EXPECT_EQ(images.store().list().size(), 3u);
  EXPECT_NO_THROW(images.resolve("localhost/b:1"));
  images.remove("localhost/b:1");
  EXPECT_THROW(images.remove("localhost/b:1"), Error) << "already gone";
  images.prune();
  EXPECT_TRUE(images.store().list().empty());
}

TEST_F(Service, DamagedIndexIsAnErrorNamingTheFile) {
  Images images(tmp_ / "store");
  std::ofstream(tmp_ / "store/refs.json") << "{\"images\": {\"x\": 3}}";
  try {
    images.list();
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("refs.json"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("images[\"x\"]"), std::string::npos) << e.what();
  }
}

TEST_F(Service, IndexIsReplacedAtomically) {
  Images images(tmp_ / "store");
  test::add_image(images, "localhost/a:1", {tmp_ / "l.tar"});
  for (const auto& e : fs::directory_iterator(tmp_ / "store")) {
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos)
        << "temp file left: " << e.path();
  }
  EXPECT_TRUE(nlohmann::json::parse(skiff::read_file(tmp_ / "store/refs.json"))["images"].contains(
      "localhost/a:1"));
}

TEST_F(Service, BundleIdsAreChecked) {
  Images images(tmp_ / "store", {.mode = SnapshotMode::kCopy});
  test::add_image(images, "localhost/a:1", {tmp_ / "l.tar"});
  EXPECT_THROW(images.create_bundle("localhost/a:1", tmp_ / "b", {}, "../x"), Error);
  EXPECT_FALSE(fs::exists(tmp_ / "b"));
}

}  // namespace
}  // namespace skiff::image
