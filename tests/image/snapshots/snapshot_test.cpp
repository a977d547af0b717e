// Layer snapshots and overlay bundles (root): shared unpacking, whiteouts through a real
// overlay, the copy fallback, unmounting, leases against prune, many layers.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "common/error.h"
#include "common/file_io.h"
#include "image/service/images.h"
#include "image/snapshots/chain_id.h"
#include "image/snapshots/overlay.h"
#include "image/snapshots/snapshotter.h"
#include "tests/image/service/image_builder.h"
#include "tests/image/unpack/tar_builder.h"
#include "tests/image/unpack/temp_dir.h"

namespace skiff::image {
namespace {

namespace fs = std::filesystem;
using test::TarBuilder;

std::string read(const fs::path& p) {
  return skiff::read_file(p);
}

ino_t inode(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st.st_ino;
}

class Snapshots : public ::testing::Test {
 protected:
  void SetUp() override {
    TarBuilder(tmp_ / "base.tar")
        .dir("etc/")
        .file("etc/os-release", "base\n")
        .dir("a/")
        .file("a/x", "x\n")
        .file("a/y", "y\n")
        .dir("d/")
        .file("d/old", "old\n")
        .symlink("link", "etc/os-release")
        .finish();
    TarBuilder(tmp_ / "top.tar", test::Compression::gzip)
        .dir("a/")
        .file("a/.wh.x", "")
        .dir("d/")
        .file("d/.wh..wh..opq", "")
        .file("d/new", "new\n")
        .file("etc/os-release", "top\n")
        .finish();
  }
  void TearDown() override {
    // Never leave a mount behind, even when an assertion failed mid-test.
    for (const std::string& m : test::mounts_under(tmp_.path())) unmount_if_mounted(m);
  }
  fs::path root() const { return tmp_ / "store"; }

  test::TempDir tmp_;
};

TEST_F(Snapshots, ChainIdsFollowTheSpec) {
  Digest a = sha256_of("a"), b = sha256_of("b");
  std::vector<Digest> c = chain_ids({a, b});
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0], a);
  EXPECT_EQ(c[1], sha256_of(a.str() + " " + b.str()));
}

TEST_F(Snapshots, SharedLayerIsUnpackedOnce) {
  Images images(root(), {.mode = SnapshotMode::kOverlay});
  test::add_image(images, "localhost/one:1", {tmp_ / "base.tar"});
  test::add_image(images, "localhost/two:1", {tmp_ / "base.tar", tmp_ / "top.tar"});

  BundleInfo b1 = images.create_bundle("localhost/one:1", tmp_ / "b1", {}, "b1");
  EXPECT_EQ(b1.layers_unpacked, 1u);
  Digest base_chain = uncompressed_digest(tmp_ / "base.tar");
  fs::path snap = Snapshotter(images.store()).path(base_chain);
  ino_t before = inode(snap / "etc/os-release");

  BundleInfo b2 = images.create_bundle("localhost/two:1", tmp_ / "b2", {}, "b2");
  EXPECT_EQ(b2.layers_unpacked, 1u) << "only the top layer is new";
  EXPECT_EQ(inode(snap / "etc/os-release"), before) << "base layer was unpacked again";
  // A second container of the same image unpacks nothing.
  BundleInfo b3 = images.create_bundle("localhost/two:1", tmp_ / "b3", {}, "b3");
  EXPECT_EQ(b3.layers_unpacked, 0u);
  EXPECT_EQ(Snapshotter(images.store()).list().size(), 2u);

  EXPECT_EQ(read(tmp_ / "b1/rootfs/etc/os-release"), "base\n");
  EXPECT_EQ(read(tmp_ / "b2/rootfs/etc/os-release"), "top\n");
  EXPECT_TRUE(fs::exists(tmp_ / "b1/config.json"));
  // Writes go to the container's upper layer, never to the shared snapshot.
  std::ofstream(tmp_ / "b1/rootfs/etc/os-release") << "changed\n";
  EXPECT_EQ(read(snap / "etc/os-release"), "base\n");
  EXPECT_EQ(read(tmp_ / "b3/rootfs/etc/os-release"), "top\n");
  for (const char* b : {"b1", "b2", "b3"}) images.remove_bundle(tmp_ / b);
}

TEST_F(Snapshots, WhiteoutAndOpaqueDirMergeThroughOverlay) {
  Images images(root(), {.mode = SnapshotMode::kOverlay});
  test::add_image(images, "localhost/wh:1", {tmp_ / "base.tar", tmp_ / "top.tar"});
  images.create_bundle("localhost/wh:1", tmp_ / "b", {}, "wh");
  fs::path r = tmp_ / "b/rootfs";
  EXPECT_FALSE(fs::exists(fs::symlink_status(r / "a/x"))) << "whiteout did not hide a/x";
  EXPECT_EQ(read(r / "a/y"), "y\n");
  EXPECT_FALSE(fs::exists(fs::symlink_status(r / "d/old"))) << "opaque dir showed lower content";
  EXPECT_EQ(read(r / "d/new"), "new\n");
  EXPECT_EQ(read(r / "link"), "top\n");
  images.remove_bundle(tmp_ / "b");
}

TEST_F(Snapshots, CopyFallbackGivesTheSameTree) {
  Images overlay(root(), {.mode = SnapshotMode::kOverlay});
  test::add_image(overlay, "localhost/wh:1", {tmp_ / "base.tar", tmp_ / "top.tar"});
  overlay.create_bundle("localhost/wh:1", tmp_ / "ov", {}, "ov");
  Images copy(root(), {.mode = SnapshotMode::kCopy});
  BundleInfo info = copy.create_bundle("localhost/wh:1", tmp_ / "cp", {}, "cp");
  EXPECT_EQ(info.mode, SnapshotMode::kCopy);
  EXPECT_TRUE(test::mounts_under(tmp_ / "cp").empty());
  std::vector<std::string> a = test::tree_listing(tmp_ / "ov/rootfs");
  std::vector<std::string> b = test::tree_listing(tmp_ / "cp/rootfs");
  EXPECT_EQ(a, b);
  EXPECT_FALSE(a.empty());
  overlay.remove_bundle(tmp_ / "ov");
  copy.remove_bundle(tmp_ / "cp");
  EXPECT_FALSE(fs::exists(tmp_ / "cp"));
}

TEST_F(Snapshots, EnvironmentSelectsTheCopySnapshotter) {
  ::setenv("SKIFF_SNAPSHOTTER", "copy", 1);
  Images images(root());
  EXPECT_EQ(images.mode(), SnapshotMode::kCopy);
  ::unsetenv("SKIFF_SNAPSHOTTER");
  EXPECT_EQ(Images(root()).mode(), SnapshotMode::kOverlay) << "ext4 /tmp can be an upper dir";
}

TEST_F(Snapshots, RemoveBundleUnmountsAndDeletes) {
  Images images(root(), {.mode = SnapshotMode::kOverlay});
  test::add_image(images, "localhost/one:1", {tmp_ / "base.tar"});
  images.create_bundle("localhost/one:1", tmp_ / "b", {}, "rm-me");
  ASSERT_EQ(test::mounts_under(tmp_ / "b").size(), 1u);
  ASSERT_EQ(images.bundles().size(), 1u);
  images.remove_bundle(tmp_ / "b");
  EXPECT_TRUE(test::mounts_under(tmp_ / "b").empty());
  EXPECT_FALSE(fs::exists(tmp_ / "b"));
  EXPECT_FALSE(fs::exists(root() / "rw/rm-me"));
  EXPECT_TRUE(images.bundles().empty());
  // Twice is fine: the agent may retry after a crash.
  images.remove_bundle(tmp_ / "b");
}

TEST_F(Snapshots, BundleSurvivesANewServiceInstance) {
  {
    Images images(root(), {.mode = SnapshotMode::kOverlay});
    test::add_image(images, "localhost/one:1", {tmp_ / "base.tar"});
    images.create_bundle("localhost/one:1", tmp_ / "b", {}, "keep");
  }
  // As after an agent restart: the mount and lease are still there, and removable.
  EXPECT_EQ(read(tmp_ / "b/rootfs/etc/os-release"), "base\n");
  Images again(root());
  ASSERT_EQ(again.bundles().size(), 1u);
  again.remove_bundle(tmp_ / "b");
  EXPECT_TRUE(test::mounts_under(tmp_ / "b").empty());
}

TEST_F(Snapshots, PruneKeepsLeasedLayersAndRemovesUnleasedOnes) {
  Images images(root(), {.mode = SnapshotMode::kOverlay});
  test::add_image(images, "localhost/used:1", {tmp_ / "base.tar"});
  test::add_image(images, "localhost/unused:1", {tmp_ / "base.tar", tmp_ / "top.tar"});
  images.create_bundle("localhost/used:1", tmp_ / "b", {}, "used");
  images.create_bundle("localhost/unused:1", tmp_ / "tmpb", {}, "tmpb");
  images.remove_bundle(tmp_ / "tmpb");

  EXPECT_THROW(images.remove("localhost/used:1"), Error) << "in use: refused without force";
  images.remove("localhost/used:1", true);
  images.remove("localhost/unused:1");
  EXPECT_TRUE(images.list().empty());

  PruneReport r = images.prune();
  EXPECT_EQ(r.snapshots_removed.size(), 1u) << "the top layer's snapshot";
  Snapshotter snaps(images.store());
  Digest base_chain = uncompressed_digest(tmp_ / "base.tar");
  EXPECT_TRUE(snaps.has(base_chain));
  EXPECT_EQ(read(tmp_ / "b/rootfs/etc/os-release"), "base\n") << "container lost its layer";
  EXPECT_EQ(images.store().list().size(), 3u) << "leased manifest, config and layer stay";

  images.remove_bundle(tmp_ / "b");
  PruneReport r2 = images.prune();
  EXPECT_EQ(r2.snapshots_removed.size(), 1u);
  EXPECT_TRUE(snaps.list().empty());
  EXPECT_TRUE(images.store().list().empty());
}

TEST_F(Snapshots, ManyLayersMountWithBothApis) {
  std::vector<fs::path> layers;
  for (int i = 0; i < 80; ++i) {
    fs::path l = tmp_ / fmt::format("l{}.tar", i);
    TarBuilder(l)
        .file(fmt::format("f{}", i), std::to_string(i))
        .file("top", std::to_string(i))
        .finish();
    layers.push_back(l);
  }
  Images images(root(), {.mode = SnapshotMode::kOverlay});
  test::add_image(images, "localhost/many:1", layers);
  images.create_bundle("localhost/many:1", tmp_ / "b", {}, "many");
  EXPECT_EQ(read(tmp_ / "b/rootfs/top"), "79");
  EXPECT_EQ(read(tmp_ / "b/rootfs/f0"), "0");
  images.remove_bundle(tmp_ / "b");

  // mount(2) with bare names from the snapshot dir: fine for 40 layers...
  std::vector<fs::path> few(layers.begin(), layers.begin() + 40);
  test::add_image(images, "localhost/few:1", few);
  Images legacy(root(), {.mode = SnapshotMode::kOverlay, .overlay_api = OverlayApi::kLegacyMount});
  legacy.create_bundle("localhost/few:1", tmp_ / "l", {}, "few");
  EXPECT_EQ(read(tmp_ / "l/rootfs/top"), "39");
  legacy.remove_bundle(tmp_ / "l");
  // ...and a clear error, with nothing left behind, when 80 do not fit in a page.
  try {
    legacy.create_bundle("localhost/many:1", tmp_ / "l2", {}, "many2");
    FAIL() << "80 layers fit in mount(2)'s page?";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("80 layers"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(tmp_ / "l2"));
  EXPECT_TRUE(legacy.bundles().empty());
}

TEST_F(Snapshots, WrongDiffIdIsRefusedBeforeUnpacking) {
  Images images(root(), {.mode = SnapshotMode::kOverlay});
  Descriptor m = test::add_image(images, "localhost/ok:1", {tmp_ / "top.tar"});
  // Same manifest, but a config that claims another DiffID for the gzip'd layer.
  nlohmann::json cfg = {{"rootfs", {{"type", "layers"}, {"diff_ids", {sha256_of("x").str()}}}}};
  std::string c = cfg.dump();
  BlobWriter w = images.store().begin_write(sha256_of(c), c.size());
  w.write(c);
  w.commit();
  Manifest parsed = parse_manifest(images.store().read_small(m.digest, 1 << 20), "test");
  nlohmann::json man = {
      {"schemaVersion", 2},
      {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
      {"config",
       Descriptor{"application/vnd.oci.image.config.v1+json", sha256_of(c), c.size(), {}, nullptr}
           .to_json()},
      {"layers", {parsed.layers[0].to_json()}}};
  std::string ms = man.dump();
  BlobWriter mw = images.store().begin_write(sha256_of(ms), ms.size());
  mw.write(ms);
  mw.commit();
  images.tag(
      "localhost/bad:1",
      Descriptor{
          "application/vnd.oci.image.manifest.v1+json", sha256_of(ms), ms.size(), {}, nullptr});
  try {
    images.create_bundle("localhost/bad:1", tmp_ / "b", {}, "bad");
    FAIL() << "a layer that does not match its DiffID was used";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("diff_ids"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(tmp_ / "b"));
  EXPECT_TRUE(images.bundles().empty());
  EXPECT_TRUE(Snapshotter(images.store()).list().empty());
}

}  // namespace
}  // namespace skiff::image
