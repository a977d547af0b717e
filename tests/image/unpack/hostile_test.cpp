// Hostile and broken layers: each is refused with an error naming layer, entry and rule,
// and leaves neither dest nor a partial directory behind.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>

#include "image/unpack/unpack.h"
#include "tar_builder.h"
#include "temp_dir.h"

namespace skiff::image {
namespace {

namespace fs = std::filesystem;
using test::Compression;
using test::TarBuilder;

// Unpacks and returns the error message; fails the test if unpacking succeeded or if
// anything besides the layer file is left in the scratch directory.
std::string refused(const test::TempDir& tmp, const UnpackOptions& opts = {}) {
  std::string msg;
  try {
    unpack_layer(tmp / "layer", tmp / "rootfs", opts);
    ADD_FAILURE() << "unpack succeeded";
  } catch (const std::exception& e) {
    msg = e.what();
  }
  ::testing::Test::RecordProperty("error", msg);  // shows in --gtest_output=xml
  EXPECT_FALSE(fs::exists(tmp / "rootfs"));
  EXPECT_TRUE(test::only_entry_is(tmp.path(), "layer")) << "partial dir left behind";
  EXPECT_NE(msg.find("layer " + (tmp / "layer").string()), std::string::npos) << msg;
  return msg;
}

bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

TEST(Hostile, DotDotEntryRefused) {
  test::TempDir tmp;
  TarBuilder(tmp / "layer").file("ok", "x").file("../escape", "evil").finish();
  std::string msg = refused(tmp);
  EXPECT_TRUE(contains(msg, "entry \"../escape\": path escapes the layer (\"..\")")) << msg;
  EXPECT_FALSE(fs::exists(tmp.path().parent_path() / "escape"));
}

TEST(Hostile, NestedDotDotRefused) {
  test::TempDir tmp;
  TarBuilder(tmp / "layer").file("a/b/../../../escape2", "evil").finish();
  EXPECT_TRUE(contains(refused(tmp), "path escapes the layer"));
  EXPECT_FALSE(fs::exists(tmp.path().parent_path() / "escape2"));
}

TEST(Hostile, AbsolutePathRefused) {
  test::TempDir tmp;
  std::string target = (tmp / "abs-target").string();
  TarBuilder(tmp / "layer").file(target, "evil").finish();
  std::string msg = refused(tmp);
  EXPECT_TRUE(contains(msg, "absolute path")) << msg;
  EXPECT_FALSE(fs::exists(target));
}

TEST(Hostile, WriteThroughSymlinkToRootRefused) {
  test::TempDir tmp;
  std::string evil = "skiff-evil-" + std::to_string(::getpid());
  fs::path real = fs::path("/etc") / evil;
  TarBuilder(tmp / "layer").symlink("link", "/").file("link/etc/" + evil, "evil").finish();
  std::string msg = refused(tmp);
  EXPECT_TRUE(contains(msg, "symlink")) << msg;
  bool leaked = fs::exists(real);
  std::error_code ec;
  fs::remove(real, ec);
  EXPECT_FALSE(leaked) << "wrote " << real;
}

TEST(Hostile, WriteThroughRelativeSymlinkRefused) {
  test::TempDir tmp;
  fs::create_directory(tmp / "outside");
  // rootfs.partial-X/dir -> ../outside would land in tmp/outside.
  TarBuilder(tmp / "layer").symlink("dir", "../outside").file("dir/x", "evil").finish();
  std::string msg;
  try {
    unpack_layer(tmp / "layer", tmp / "rootfs");
    ADD_FAILURE() << "unpack succeeded";
  } catch (const std::exception& e) {
    msg = e.what();
  }
  EXPECT_TRUE(contains(msg, "entry \"dir/x\": path goes through symlink \"dir\"")) << msg;
  EXPECT_FALSE(fs::exists(tmp / "outside/x"));
  EXPECT_FALSE(fs::exists(tmp / "rootfs"));
}

TEST(Hostile, WriteThroughDotDotSymlinkRefused) {
  test::TempDir tmp;
  TarBuilder(tmp / "layer").symlink("dir", "../../").file("dir/x", "evil").finish();
  EXPECT_TRUE(contains(refused(tmp), "symlink"));
  EXPECT_FALSE(fs::exists(tmp.path().parent_path() / "x"));
}

TEST(Hostile, SymlinksMayPointAnywhere) {
  test::TempDir tmp;
  TarBuilder(tmp / "layer").symlink("up", "../../..").symlink("root", "/").finish();
  unpack_layer(tmp / "layer", tmp / "rootfs");
  EXPECT_EQ(fs::read_symlink(tmp / "rootfs/up"), "../../..");
  EXPECT_EQ(fs::read_symlink(tmp / "rootfs/root"), "/");
}

TEST(Hostile, HardlinkDotDotRefused) {
  test::TempDir tmp;
  TarBuilder(tmp / "layer").hardlink("pw", "../../etc/passwd").finish();
  std::string msg = refused(tmp);
  EXPECT_TRUE(contains(msg, "entry \"pw\": hardlink target \"../../etc/passwd\": path escapes"))
      << msg;
}

TEST(Hostile, HardlinkAbsoluteRefused) {
  test::TempDir tmp;
  TarBuilder(tmp / "layer").hardlink("pw", "/etc/passwd").finish();
  EXPECT_TRUE(contains(refused(tmp), "absolute path"));
}

TEST(Hostile, HardlinkThroughOutsideSymlinkRefused) {
  test::TempDir tmp;
  test::write_file(tmp / "secret", "host secret");
  TarBuilder(tmp / "layer")
      .symlink("out", tmp.path().string())
      .hardlink("stolen", "out/secret")
      .finish();
  std::string msg;
  try {
    unpack_layer(tmp / "layer", tmp / "rootfs");
    ADD_FAILURE() << "unpack succeeded";
  } catch (const std::exception& e) {
    msg = e.what();
  }
  EXPECT_TRUE(contains(msg, "hardlink target \"out/secret\": path goes through symlink \"out\""))
      << msg;
  EXPECT_FALSE(fs::exists(tmp / "rootfs"));
  struct stat st {};
  ASSERT_EQ(::stat((tmp / "secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 1u);
}

TEST(Hostile, HardlinkToMissingTargetRefused) {
  test::TempDir tmp;
  TarBuilder(tmp / "layer").hardlink("h", "nowhere").finish();
  EXPECT_TRUE(contains(refused(tmp), "is not in the layer"));
}

TEST(Hostile, GzipBombStopsAtByteLimit) {
  test::TempDir tmp;
  TarBuilder(tmp / "layer", Compression::gzip)
      .file("small", "ok")
      .zeros("bomb", 64ull << 20)
      .finish();
  EXPECT_LT(fs::file_size(tmp / "layer"), 1u << 20);  // it really is a bomb
  UnpackOptions opts;
  opts.max_bytes = 8ull << 20;
  std::string msg = refused(tmp, opts);
  EXPECT_TRUE(contains(msg, "entry \"bomb\": size limit of 8388608 bytes (max_bytes) exceeded"))
      << msg;
}

TEST(Hostile, ByteLimitCountsAcrossEntries) {
  test::TempDir tmp;
  TarBuilder t(tmp / "layer", Compression::gzip);
  for (int i = 0; i < 5; ++i) t.zeros(std::string("f").append(std::to_string(i)), 3ull << 20);
  t.finish();
  UnpackOptions opts;
  opts.max_bytes = 8ull << 20;
  EXPECT_TRUE(contains(refused(tmp, opts), "entry \"f2\": size limit"));
}

TEST(Hostile, EntryCountLimit) {
  test::TempDir tmp;
  TarBuilder t(tmp / "layer");
  for (int i = 0; i < 20; ++i) t.file(std::string("f").append(std::to_string(i)), "");
  t.finish();
  UnpackOptions opts;
  opts.max_entries = 10;
  std::string msg = refused(tmp, opts);
  EXPECT_TRUE(contains(msg, "entry \"f10\": entry count limit of 10 (max_entries) exceeded"))
      << msg;
}

TEST(Hostile, GarbageRefusedNamingTheFile) {
  test::TempDir tmp;
  std::mt19937 rng(42);
  std::string junk(64 * 1024, '\0');
  for (auto& c : junk) c = static_cast<char>(rng());
  test::write_file(tmp / "layer", junk);
  std::string msg = refused(tmp);
  EXPECT_TRUE(contains(msg, "layer " + (tmp / "layer").string() + ":")) << msg;
}

TEST(Hostile, TruncatedGzipRefused) {
  test::TempDir tmp;
  TarBuilder(tmp / "full", Compression::gzip)
      .file("a", std::string(100000, 'a'))
      .zeros("b", 1 << 20)
      .finish();
  std::string full = test::read_file(tmp / "full");
  fs::remove(tmp / "full");
  test::write_file(tmp / "layer", full.substr(0, full.size() / 2));
  std::string msg = refused(tmp);
  EXPECT_FALSE(msg.empty());
}

TEST(Hostile, MissingLayerFileNamed) {
  test::TempDir tmp;
  try {
    unpack_layer(tmp / "nope", tmp / "rootfs");
    FAIL() << "expected an error";
  } catch (const std::exception& e) {
    EXPECT_TRUE(contains(e.what(), (tmp / "nope").string())) << e.what();
  }
  EXPECT_FALSE(fs::exists(tmp / "rootfs"));
}

TEST(Hostile, WhiteoutOfDotDotRefused) {
  test::TempDir tmp;
  TarBuilder(tmp / "layer").file("a/.wh...", "").finish();
  EXPECT_TRUE(contains(refused(tmp), "whiteout names no valid entry"));
}

}  // namespace
}  // namespace skiff::image
