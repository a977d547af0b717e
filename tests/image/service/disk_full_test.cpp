// Disk full during an import (root: mounts a small tmpfs as the store).
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "common/error.h"
#include "image/service/images.h"
#include "tests/image/service/image_builder.h"
#include "tests/image/unpack/tar_builder.h"
#include "tests/image/unpack/temp_dir.h"

namespace skiff::image {
namespace {

namespace fs = std::filesystem;

class DiskFull : public ::testing::Test {
 protected:
  void SetUp() override {
    mnt_ = tmp_ / "tiny";
    fs::create_directories(mnt_);
    ASSERT_EQ(::mount("tmpfs", mnt_.c_str(), "tmpfs", 0, "size=256k"), 0) << std::strerror(errno);
    mounted_ = true;
  }
  void TearDown() override {
    if (mounted_) ::umount2(mnt_.c_str(), MNT_DETACH);
  }
  test::TempDir tmp_;
  fs::path mnt_;
  bool mounted_ = false;
};

TEST_F(DiskFull, ImportFailsCleanlyNamingThePath) {
  // 1 MiB that does not compress, in a store of 256 KiB.
  std::mt19937 rng(7);
  std::string noise(1 << 20, '\0');
  for (char& c : noise) c = static_cast<char>(rng());
  test::TarBuilder(tmp_ / "small.tar").file("a", "small\n").finish();
  test::TarBuilder(tmp_ / "big.tar").file("noise", noise).finish();
  test::write_docker_archive(tmp_ / "small-image.tar", {tmp_ / "small.tar"}, {"localhost/small:1"});
  test::write_docker_archive(tmp_ / "big-image.tar", {tmp_ / "small.tar", tmp_ / "big.tar"},
                             {"localhost/big:1"});

  Images images(mnt_ / "store");
  images.import(tmp_ / "small-image.tar");
  std::vector<Digest> before = images.store().list();
  try {
    images.import(tmp_ / "big-image.tar");
    FAIL() << "imported 1 MiB into 256 KiB";
  } catch (const SysError& e) {
    EXPECT_EQ(e.code(), ENOSPC) << e.what();
    std::string what = e.what();
    EXPECT_NE(what.find((tmp_ / "big-image.tar").string()), std::string::npos) << what;
    EXPECT_NE(what.find((mnt_ / "store/ingest").string()), std::string::npos) << what;
    EXPECT_NE(what.find("No space left on device"), std::string::npos) << what;
  }
  // Nothing half-written: same blobs, same names, empty ingest, and everything still works.
  EXPECT_EQ(images.store().list(), before);
  EXPECT_TRUE(fs::is_empty(images.store().ingest_dir()));
  ASSERT_EQ(images.list().size(), 1u);
  EXPECT_EQ(images.list()[0].name, "localhost/small:1");
  EXPECT_NO_THROW(images.inspect("localhost/small:1"));
  EXPECT_THROW(images.resolve("localhost/big:1"), Error);
  images.remove("localhost/small:1");
  images.prune();
  EXPECT_TRUE(images.store().list().empty());
}

}  // namespace
}  // namespace skiff::image
