#include "image/store/content_store.h"

#include <gtest/gtest.h>

#include <string>

#include "common/error.h"
#include "tests/image/store/temp_dir.h"

namespace skiff::image {
namespace {

using skiff::testing::dir_empty;
using skiff::testing::TempDir;

class ContentStoreTest : public ::testing::Test {
 protected:
  TempDir tmp;
  ContentStore store{tmp / "store"};

  void put(const std::string& data) {
    BlobWriter w = store.begin_write(sha256_of(data), data.size());
    w.write(data);
    w.commit();
  }
  bool nothing_visible() { return dir_empty(store.blobs_dir()) && dir_empty(store.ingest_dir()); }
};

TEST_F(ContentStoreTest, CreatesLayout) {
  EXPECT_TRUE(std::filesystem::is_directory(tmp / "store/blobs/sha256"));
  EXPECT_TRUE(std::filesystem::is_directory(tmp / "store/ingest"));
  EXPECT_TRUE(std::filesystem::is_regular_file(tmp / "store/lock"));
}

TEST_F(ContentStoreTest, WriteCommitHasRead) {
  std::string data = "hello, blob";
  Digest d = sha256_of(data);
  EXPECT_FALSE(store.has(d));
  BlobWriter w = store.begin_write(d, data.size());
  w.write("hello, ");
  w.write("blob");
  EXPECT_FALSE(store.has(d)) << "visible before commit";
  w.commit();
  EXPECT_TRUE(store.has(d));
  EXPECT_EQ(store.path(d), tmp / "store/blobs/sha256" / d.hex());
  EXPECT_EQ(store.read_small(d, 1024), data);
  EXPECT_EQ(store.size(d), data.size());
  EXPECT_TRUE(dir_empty(store.ingest_dir()));
  EXPECT_EQ(store.list(), std::vector<Digest>{d});
}

TEST_F(ContentStoreTest, ReadSmallRefusesLargeBlobs) {
  put(std::string(100, 'x'));
  Digest d = sha256_of(std::string(100, 'x'));
  try {
    store.read_small(d, 99);
    FAIL() << "read a blob above the limit";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(d.str()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("100 bytes"), std::string::npos) << e.what();
  }
}

TEST_F(ContentStoreTest, DigestMismatchLeavesNothingVisible) {
  Digest expected = sha256_of("the real thing");
  BlobWriter w = store.begin_write(expected);
  w.write("an impostor");
  try {
    w.commit();
    FAIL() << "committed a blob whose digest did not match";
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find(expected.str()), std::string::npos) << msg;
    EXPECT_NE(msg.find(sha256_of("an impostor").str()), std::string::npos) << msg;
  }
  EXPECT_FALSE(store.has(expected));
  EXPECT_TRUE(nothing_visible());
}

TEST_F(ContentStoreTest, SizeMismatchIsRefused) {
  std::string data = "twelve bytes";
  // Shorter than promised: caught at commit.
  {
    BlobWriter w = store.begin_write(sha256_of(data), data.size() + 1);
    w.write(data);
    EXPECT_THROW(w.commit(), Error);
  }
  // Longer than promised: caught as soon as the excess arrives.
  {
    BlobWriter w = store.begin_write(sha256_of(data), data.size() - 1);
    EXPECT_THROW(w.write(data), Error);
    EXPECT_TRUE(dir_empty(store.ingest_dir())) << "temp file kept after a failed write";
    EXPECT_THROW(w.commit(), Error);
  }
  EXPECT_TRUE(nothing_visible());
}

TEST_F(ContentStoreTest, UncommittedWriterCleansUp) {
  {
    BlobWriter w = store.begin_write(sha256_of("never finished"));
    w.write("never");
    EXPECT_FALSE(dir_empty(store.ingest_dir()));
  }
  EXPECT_TRUE(nothing_visible());
}

TEST_F(ContentStoreTest, ExistingBlobIsANoOp) {
  put("already here");
  Digest d = sha256_of("already here");
  BlobWriter w = store.begin_write(d, 12);
  EXPECT_TRUE(w.already_present());
  w.write("ignored, not even hashed");
  w.commit();
  EXPECT_EQ(store.read_small(d, 100), "already here");
  EXPECT_TRUE(dir_empty(store.ingest_dir()));
}

TEST_F(ContentStoreTest, SecondConcurrentWriterOfSameDigestSeesItPresent) {
  std::string data = "raced";
  Digest d = sha256_of(data);
  BlobWriter first = store.begin_write(d);
  BlobWriter second = store.begin_write(d);
  first.write(data);
  second.write(data);
  first.commit();
  EXPECT_FALSE(first.already_present());
  second.commit();
  EXPECT_TRUE(second.already_present());
  EXPECT_EQ(store.read_small(d, 100), data);
  EXPECT_TRUE(dir_empty(store.ingest_dir()));
}

TEST_F(ContentStoreTest, GcKeepsReferencedAndDeletesTheRest) {
  put("keep me");
  put("drop me");
  put("drop me too");
  Digest keep = sha256_of("keep me");
  // A stale ingest file, as a crashed writer leaves behind.
  skiff::testing::write_text(store.ingest_dir() / "stale", "12345");
  std::uint64_t freed = store.gc({keep});
  EXPECT_EQ(freed, std::string("drop me").size() + std::string("drop me too").size() + 5);
  EXPECT_EQ(store.list(), std::vector<Digest>{keep});
  EXPECT_TRUE(dir_empty(store.ingest_dir()));
  EXPECT_EQ(store.gc({keep}), 0u);
}

}  // namespace
}  // namespace skiff::image
