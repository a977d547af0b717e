// Disk full while writing a blob: needs root to mount a tiny tmpfs.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "common/error.h"
#include "image/store/content_store.h"
#include "tests/image/store/temp_dir.h"

namespace skiff::image {
namespace {

class DiskFull : public ::testing::Test {
 protected:
  void SetUp() override {
    mnt_ = tmp_ / "tiny";
    std::filesystem::create_directories(mnt_);
    ASSERT_EQ(::mount("tmpfs", mnt_.c_str(), "tmpfs", 0, "size=64k"), 0) << std::strerror(errno);
    mounted_ = true;
  }
  void TearDown() override {
    if (mounted_) ::umount2(mnt_.c_str(), MNT_DETACH);
  }

  skiff::testing::TempDir tmp_;
  std::filesystem::path mnt_;
  bool mounted_ = false;
};

TEST_F(DiskFull, WriteFailsCleanlyWithNothingVisible) {
  ContentStore store(mnt_ / "store");
  std::string data(1 << 20, 'z');
  Digest d = sha256_of(data);
  BlobWriter w = store.begin_write(d, data.size());
  try {
    for (std::size_t off = 0; off < data.size(); off += 64 * 1024) {
      w.write(std::string_view(data).substr(off, 64 * 1024));
    }
    w.commit();
    FAIL() << "wrote 1 MiB into a 64 KiB tmpfs";
  } catch (const SysError& e) {
    EXPECT_EQ(e.code(), ENOSPC) << e.what();
    EXPECT_NE(e.path().find((mnt_ / "store/ingest").string()), std::string::npos) << e.what();
  }
  EXPECT_FALSE(store.has(d));
  EXPECT_TRUE(std::filesystem::is_empty(store.blobs_dir()));
  EXPECT_TRUE(std::filesystem::is_empty(store.ingest_dir())) << "temp file left behind";

  // The space came back: a small blob still fits.
  BlobWriter small = store.begin_write(sha256_of("fits"));
  small.write("fits");
  small.commit();
  EXPECT_TRUE(store.has(sha256_of("fits")));
}

}  // namespace
}  // namespace skiff::image
