// Honest layers: contents, modes and links come out as the tar describes them.
#include "image/unpack/unpack.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "tar_builder.h"
#include "temp_dir.h"

namespace skiff::image {
namespace {

namespace fs = std::filesystem;
using test::Compression;
using test::TarBuilder;

void write_normal_layer(const fs::path& file, Compression c) {
  TarBuilder(file, c)
      .dir("./")
      .dir("bin/", 0755)
      .file("bin/tool", "#!/bin/sh\necho hi\n", 0755)
      .dir("etc/", 0750)
      .file("etc/secret", "s3cret", 0600)
      .symlink("etc/link", "/usr/lib/os-release")
      .hardlink("bin/tool2", "bin/tool")
      .fifo("run.fifo")
      .finish();
}

void expect_normal_layer(const fs::path& dest, const UnpackStats& stats) {
  EXPECT_EQ(test::read_file(dest / "bin/tool"), "#!/bin/sh\necho hi\n");
  EXPECT_EQ(test::read_file(dest / "etc/secret"), "s3cret");
  struct stat st {};
  ASSERT_EQ(::stat((dest / "bin/tool").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  EXPECT_EQ(st.st_nlink, 2u);
  ASSERT_EQ(::stat((dest / "etc/secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_mtime, 1700000000);
  ASSERT_EQ(::stat((dest / "etc").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  EXPECT_EQ(fs::read_symlink(dest / "etc/link"), "/usr/lib/os-release");
  EXPECT_TRUE(fs::equivalent(dest / "bin/tool", dest / "bin/tool2"));
  EXPECT_TRUE(fs::is_fifo(fs::symlink_status(dest / "run.fifo")));
  EXPECT_EQ(stats.entries, 8u);
  EXPECT_EQ(stats.bytes, 24u);
  EXPECT_EQ(stats.skipped_devices, 0u);
  EXPECT_EQ(stats.whiteouts, 0u);
}

class NormalLayer : public ::testing::TestWithParam<Compression> {};

TEST_P(NormalLayer, UnpacksContentsModesAndLinks) {
  // Debian 12's libarchive writes zstd; a build without it must fail, not skip quietly.
  if (GetParam() == Compression::zstd) {
    ASSERT_TRUE(TarBuilder::zstd_supported()) << "libarchive here cannot write zstd";
  }
  test::TempDir tmp;
  write_normal_layer(tmp / "layer", GetParam());
  UnpackStats stats = unpack_layer(tmp / "layer", tmp / "rootfs");
  expect_normal_layer(tmp / "rootfs", stats);
  // Exactly layer + rootfs: the partial dir was renamed, not copied.
  int n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(tmp.path())) ++n;
  EXPECT_EQ(n, 2);
}

std::string compression_name(const ::testing::TestParamInfo<Compression>& param) {
  switch (param.param) {
    case Compression::none:
      return "none";
    case Compression::gzip:
      return "gzip";
    case Compression::zstd:
      return "zstd";
  }
  return "unknown";
}

INSTANTIATE_TEST_SUITE_P(Compressions, NormalLayer,
                         ::testing::Values(Compression::none, Compression::gzip, Compression::zstd),
                         compression_name);

TEST(Unpack, RefusesExistingDest) {
  test::TempDir tmp;
  TarBuilder(tmp / "layer").file("a", "x").finish();
  fs::create_directory(tmp / "rootfs");
  try {
    unpack_layer(tmp / "layer", tmp / "rootfs");
    FAIL() << "expected an error";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("already exists"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fs::is_empty(tmp / "rootfs"));
}

TEST(Unpack, CharDeviceSkippedByDefaultAndCounted) {
  test::TempDir tmp;
  TarBuilder(tmp / "layer").chardev("dev/null", 1, 3).file("ok", "fine").finish();
  UnpackStats stats = unpack_layer(tmp / "layer", tmp / "rootfs");
  EXPECT_FALSE(fs::exists(fs::symlink_status(tmp / "rootfs/dev/null")));
  EXPECT_EQ(stats.skipped_devices, 1u);
  EXPECT_EQ(stats.entries, 2u);
  EXPECT_EQ(test::read_file(tmp / "rootfs/ok"), "fine");
}

}  // namespace
}  // namespace skiff::image
