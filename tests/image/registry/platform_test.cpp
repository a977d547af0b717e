#include "image/registry/platform.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace skiff::image {
namespace {

Descriptor entry(const char* arch, const char* variant, char fill) {
  Descriptor d{std::string(media_type::kOciManifest),
               Digest::parse("sha256:" + std::string(64, fill)),
               10,
               {},
               nullptr};
  d.platform = {{"os", "linux"}, {"architecture", arch}};
  if (*variant) d.platform["variant"] = variant;
  return d;
}

TEST(Platform, ParseAndNormalise) {
  Platform p = Platform::parse("linux/arm64/v8");
  EXPECT_EQ(p.str(), "linux/arm64/v8");
  EXPECT_EQ(normalize(Platform::parse("linux/aarch64")).str(), "linux/arm64/v8");
  EXPECT_EQ(normalize(Platform::parse("linux/x86_64")).str(), "linux/amd64");
  EXPECT_EQ(normalize(Platform::parse("linux/arm")).str(), "linux/arm/v7");
  EXPECT_EQ(normalize(Platform::parse("linux/arm/7")).str(), "linux/arm/v7");
  EXPECT_THROW(Platform::parse("linux"), Error);
  EXPECT_THROW(Platform::parse("linux//v7"), Error);
  EXPECT_THROW(Platform::parse("a/b/c/d"), Error);
  EXPECT_FALSE(Platform::host().architecture.empty());
}

TEST(Platform, Matching) {
  EXPECT_TRUE(platform_matches(Platform::parse("linux/arm64"), {"linux", "arm64", ""}));
  EXPECT_TRUE(platform_matches(Platform::parse("linux/arm64/v8"), {"linux", "arm64", ""}));
  EXPECT_TRUE(platform_matches(Platform::parse("linux/arm64"), {"linux", "arm64", "v8"}));
  EXPECT_FALSE(platform_matches(Platform::parse("linux/arm/v7"), {"linux", "arm", "v6"}));
  EXPECT_TRUE(platform_matches(Platform::parse("linux/arm"), {"linux", "arm", "v7"}));
  EXPECT_TRUE(platform_matches(Platform::parse("linux/amd64"), {"linux", "amd64", "v3"}));
  EXPECT_FALSE(platform_matches(Platform::parse("linux/amd64"), {"windows", "amd64", ""}));
}

TEST(Platform, ChoosesAndListsAlternatives) {
  Index idx;
  idx.manifests = {entry("amd64", "", 'a'), entry("arm64", "v8", 'b'), entry("arm", "v7", 'c')};
  EXPECT_EQ(choose_platform(idx, Platform::parse("linux/arm64"), "x").digest.hex()[0], 'b');
  EXPECT_EQ(choose_platform(idx, Platform::parse("linux/amd64"), "x").digest.hex()[0], 'a');
  try {
    choose_platform(idx, Platform::parse("linux/s390x"), "demo:latest");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "demo:latest: no image for platform linux/s390x; available: linux/amd64, "
                 "linux/arm64/v8, linux/arm/v7");
  }
}

}  // namespace
}  // namespace skiff::image
