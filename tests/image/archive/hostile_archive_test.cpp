// docker-archive import of handmade archives: names, gzip'd layers, and hostile input that
// must be refused with the file and entry named and nothing stored.
#include <gtest/gtest.h>

#include <fstream>

#include "common/error.h"
#include "common/file_io.h"
#include "image/archive/docker_archive.h"
#include "image/service/images.h"
#include "image/snapshots/chain_id.h"
#include "tests/image/service/image_builder.h"
#include "tests/image/unpack/tar_builder.h"
#include "tests/image/unpack/temp_dir.h"

namespace skiff::image {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::TarBuilder;

class Archive : public ::testing::Test {
 protected:
  void SetUp() override {
    TarBuilder(tmp_ / "plain.tar").dir("etc/").file("etc/hostname", "plain\n").finish();
    TarBuilder(tmp_ / "gz.tar", test::Compression::gzip).file("gz", "zipped\n").finish();
  }
  // An archive whose manifest.json is `manifest`, plus a valid config and layer entries.
  fs::path archive(const json& manifest, bool with_outside_link = false) {
    fs::path out = tmp_ / "hostile.tar";
    json cfg = {
        {"rootfs",
         {{"type", "layers"}, {"diff_ids", {uncompressed_digest(tmp_ / "plain.tar").str()}}}}};
    TarBuilder t(out);
    t.file("cfg.json", cfg.dump()).file("l/layer.tar", skiff::read_file(tmp_ / "plain.tar"));
    if (with_outside_link) t.symlink("evil/layer.tar", "../../../etc/passwd");
    t.file("manifest.json", manifest.dump()).finish();
    return out;
  }
  void expect_refused(const fs::path& file, const std::string& needle) {
    Images images(tmp_ / "store");
    try {
      images.import(file);
      FAIL() << "imported a bad archive; wanted: " << needle;
    } catch (const Error& e) {
      std::string what = e.what();
      EXPECT_NE(what.find(needle), std::string::npos) << what;
      EXPECT_NE(what.find(file.string()), std::string::npos) << "does not name the file: " << what;
    }
    EXPECT_TRUE(images.store().list().empty()) << "half-imported blobs are visible";
    EXPECT_TRUE(images.list().empty());
    EXPECT_TRUE(fs::is_empty(images.store().ingest_dir()));
  }
  test::TempDir tmp_;
};

TEST_F(Archive, ImportsTagsAndGzipLayers) {
  test::write_docker_archive(tmp_ / "a.tar", {tmp_ / "plain.tar", tmp_ / "gz.tar"},
                             {"busybox:1", "localhost:5000/x/y:2"});
  Images images(tmp_ / "store");
  std::vector<ImageRecord> recs = images.import(tmp_ / "a.tar");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].name, "docker.io/library/busybox:1");
  EXPECT_EQ(recs[1].name, "localhost:5000/x/y:2");
  ResolvedImage img = images.resolve("busybox:1");
  ASSERT_EQ(img.manifest.layers.size(), 2u);
  EXPECT_EQ(img.manifest.layers[0].media_type, "application/vnd.oci.image.layer.v1.tar");
  EXPECT_EQ(img.manifest.layers[1].media_type, "application/vnd.oci.image.layer.v1.tar+gzip");
  // A stored uncompressed layer's digest is its DiffID.
  EXPECT_EQ(img.manifest.layers[0].digest, uncompressed_digest(tmp_ / "plain.tar"));
  // Importing again changes nothing.
  std::size_t blobs = images.store().list().size();
  images.import(tmp_ / "a.tar");
  EXPECT_EQ(images.store().list().size(), blobs);
}

TEST_F(Archive, UntaggedImageIsKeptByDigest) {
  test::write_docker_archive(tmp_ / "a.tar", {tmp_ / "plain.tar"}, {});
  Images images(tmp_ / "store");
  std::vector<ImageRecord> recs = images.import(tmp_ / "a.tar");
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].name, recs[0].manifest.str());
  EXPECT_NO_THROW(images.resolve(recs[0].manifest.hex().substr(0, 8)));
}

TEST_F(Archive, LayerPathOutsideTheArchiveIsRefused) {
  expect_refused(archive(json::array({{{"Config", "cfg.json"}, {"Layers", {"../l/layer.tar"}}}})),
                 "[0].Layers[0]: \"../l/layer.tar\" points outside the archive");
  expect_refused(archive(json::array({{{"Config", "/cfg.json"}, {"Layers", {"l/layer.tar"}}}})),
                 "[0].Config: \"/cfg.json\" points outside the archive");
}

TEST_F(Archive, MissingLayerIsRefused) {
  expect_refused(archive(json::array({{{"Config", "cfg.json"}, {"Layers", {"nope/layer.tar"}}}})),
                 "[0].Layers[0]: \"nope/layer.tar\" is not in the archive");
}

TEST_F(Archive, LinkOutsideTheArchiveIsRefused) {
  expect_refused(
      archive(json::array({{{"Config", "cfg.json"}, {"Layers", {"evil/layer.tar"}}}}), true),
      "is a link pointing outside the archive");
}

TEST_F(Archive, LayerCountMustMatchDiffIds) {
  expect_refused(
      archive(json::array({{{"Config", "cfg.json"}, {"Layers", {"l/layer.tar", "l/layer.tar"}}}})),
      "Layers lists 2 layers but the config's rootfs.diff_ids has 1");
}

TEST_F(Archive, WrongDiffIdIsRefused) {
  fs::path out = tmp_ / "wrong.tar";
  json cfg = {{"rootfs", {{"type", "layers"}, {"diff_ids", {sha256_of("x").str()}}}}};
  TarBuilder(out)
      .file("cfg.json", cfg.dump())
      .file("l/layer.tar", skiff::read_file(tmp_ / "plain.tar"))
      .file("manifest.json",
            json::array({{{"Config", "cfg.json"}, {"Layers", {"l/layer.tar"}}}}).dump())
      .finish();
  expect_refused(out, "rootfs.diff_ids[0] says");
}

TEST_F(Archive, GarbageIsRefusedNamingTheFile) {
  TarBuilder(tmp_ / "notimage.tar").file("hello", "x").finish();
  expect_refused(tmp_ / "notimage.tar", "neither a docker-archive");
  std::ofstream(tmp_ / "junk.bin") << "this is not a tar at all";
  expect_refused(tmp_ / "junk.bin", "junk.bin");
  expect_refused(archive(json{{"not", "an array"}}), "expected a non-empty JSON array");
}

}  // namespace
}  // namespace skiff::image
