// Overlay mode (root): whiteouts become what overlayfs expects in a lower directory.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <filesystem>
#include <string>

#include "image/unpack/unpack.h"
#include "tar_builder.h"
#include "temp_dir.h"

namespace skiff::image {
namespace {

namespace fs = std::filesystem;
using test::TarBuilder;

std::string xattr(const fs::path& p, const char* name) {
  char buf[64] = {};
  ssize_t n = ::lgetxattr(p.c_str(), name, buf, sizeof buf);
  return n < 0 ? std::string("<none>") : std::string(buf, static_cast<std::size_t>(n));
}

TEST(WhiteoutOverlay, WhiteoutBecomesCharDevAndOpaqueXattr) {
  test::TempDir tmp;
  TarBuilder(tmp / "layer")
      .dir("a/")
      .file("a/.wh.x", "")
      .dir("d/")
      .file("d/.wh..wh..opq", "")
      .file("d/new", "new")
      .finish();
  UnpackOptions opts;
  opts.overlay_whiteouts = true;
  UnpackStats stats = unpack_layer(tmp / "layer", tmp / "rootfs", opts);
  struct stat st {};
  ASSERT_EQ(::lstat((tmp / "rootfs/a/x").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, ::makedev(0, 0));
  EXPECT_FALSE(fs::exists(fs::symlink_status(tmp / "rootfs/a/.wh.x")));
  EXPECT_FALSE(fs::exists(fs::symlink_status(tmp / "rootfs/d/.wh..wh..opq")));
  EXPECT_EQ(xattr(tmp / "rootfs/d", "trusted.overlay.opaque"), "y");
  EXPECT_EQ(xattr(tmp / "rootfs/a", "trusted.overlay.opaque"), "<none>");
  EXPECT_EQ(stats.whiteouts, 2u);
}

TEST(WhiteoutOverlay, DevicesKeptWhenAllowed) {
  test::TempDir tmp;
  TarBuilder(tmp / "layer").chardev("null", 1, 3).finish();
  UnpackOptions opts;
  opts.allow_devices = true;
  UnpackStats stats = unpack_layer(tmp / "layer", tmp / "rootfs", opts);
  struct stat st {};
  ASSERT_EQ(::lstat((tmp / "rootfs/null").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, ::makedev(1, 3));
  EXPECT_EQ(stats.skipped_devices, 0u);
}

}  // namespace
}  // namespace skiff::image
