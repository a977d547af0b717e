// Copy mode: whiteouts in an upper layer delete lower content when layers are stacked.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "image/unpack/unpack.h"
#include "tar_builder.h"
#include "temp_dir.h"

namespace skiff::image {
namespace {

namespace fs = std::filesystem;
using test::TarBuilder;

std::set<std::string> names(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

void write_base(const fs::path& file) {
  TarBuilder(file)
      .dir("a/")
      .file("a/x", "x")
      .file("a/y", "y")
      .dir("d/")
      .file("d/old", "old")
      .dir("d/sub/")
      .file("d/sub/deep", "deep")
      .finish();
}

TEST(WhiteoutCopy, UpperLayerHidesLowerEntries) {
  test::TempDir tmp;
  write_base(tmp / "base");
  TarBuilder(tmp / "upper")
      .file("a/.wh.x", "")
      .file("d/.wh..wh..opq", "")
      .file("d/new", "new")
      .finish();
  unpack_layer(tmp / "base", tmp / "rootfs");
  UnpackStats stats = apply_layer_copy(tmp / "upper", tmp / "rootfs");
  EXPECT_EQ(names(tmp / "rootfs/a"), std::set<std::string>{"y"});
  EXPECT_EQ(names(tmp / "rootfs/d"), std::set<std::string>{"new"});
  EXPECT_EQ(test::read_file(tmp / "rootfs/d/new"), "new");
  EXPECT_EQ(stats.whiteouts, 2u);
}

TEST(WhiteoutCopy, OpaqueMarkerAfterOwnEntriesKeepsThem) {
  test::TempDir tmp;
  write_base(tmp / "base");
  // The marker comes last and d/sub is both lower and upper: only lower content goes.
  TarBuilder(tmp / "upper")
      .file("d/new", "new")
      .file("d/sub/fresh", "fresh")
      .file("d/.wh..wh..opq", "")
      .finish();
  unpack_layer(tmp / "base", tmp / "rootfs");
  apply_layer_copy(tmp / "upper", tmp / "rootfs");
  EXPECT_EQ(names(tmp / "rootfs/d"), (std::set<std::string>{"new", "sub"}));
  EXPECT_EQ(names(tmp / "rootfs/d/sub"), std::set<std::string>{"fresh"});
}

TEST(WhiteoutCopy, WhiteoutOfDirectoryRemovesTree) {
  test::TempDir tmp;
  write_base(tmp / "base");
  TarBuilder(tmp / "upper").file(".wh.d", "").finish();
  unpack_layer(tmp / "base", tmp / "rootfs");
  apply_layer_copy(tmp / "upper", tmp / "rootfs");
  EXPECT_EQ(names(tmp / "rootfs"), std::set<std::string>{"a"});
}

TEST(WhiteoutCopy, WhiteoutThroughSymlinkRefused) {
  test::TempDir tmp;
  fs::create_directory(tmp / "outside");
  test::write_file(tmp / "outside/keep", "keep");
  TarBuilder(tmp / "base").symlink("l", (tmp / "outside").string()).finish();
  TarBuilder(tmp / "upper").file("l/.wh.keep", "").finish();
  unpack_layer(tmp / "base", tmp / "rootfs");
  try {
    apply_layer_copy(tmp / "upper", tmp / "rootfs");
    FAIL() << "expected an error";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("path goes through symlink \"l\""), std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(fs::exists(tmp / "outside/keep"));
}

TEST(WhiteoutCopy, WhiteoutFilesNeverAppear) {
  test::TempDir tmp;
  TarBuilder(tmp / "layer")
      .file("a/.wh.gone", "")
      .file(".wh..wh..opq", "")
      .file("a/.wh..wh.plnk", "")
      .file("a/kept", "k")
      .finish();
  UnpackStats stats = unpack_layer(tmp / "layer", tmp / "rootfs");
  EXPECT_EQ(names(tmp / "rootfs/a"), std::set<std::string>{"kept"});
  EXPECT_EQ(stats.whiteouts, 2u);
}

}  // namespace
}  // namespace skiff::image
