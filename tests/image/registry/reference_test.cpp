#include "image/registry/reference.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace skiff::image {
namespace {

TEST(ImageRef, DockerHubNormalisation) {
  ImageRef r = ImageRef::parse("busybox");
  EXPECT_EQ(r.domain, "docker.io");
  EXPECT_EQ(r.repository, "library/busybox");
  EXPECT_EQ(r.tag, "latest");
  EXPECT_EQ(r.endpoint(), "registry-1.docker.io");
  EXPECT_EQ(r.str(), "docker.io/library/busybox:latest");
  EXPECT_EQ(ImageRef::parse("index.docker.io/foo/bar:1").str(), "docker.io/foo/bar:1");
  EXPECT_EQ(ImageRef::parse("docker.io/busybox:1.36").repository, "library/busybox");
}

TEST(ImageRef, HostPortTagDigest) {
  std::string d = "sha256:" + std::string(64, 'a');
  ImageRef r = ImageRef::parse("127.0.0.1:5000/demo/app:v1@" + d);
  EXPECT_EQ(r.domain, "127.0.0.1:5000");
  EXPECT_EQ(r.repository, "demo/app");
  EXPECT_EQ(r.tag, "v1");
  ASSERT_TRUE(r.digest);
  EXPECT_EQ(r.manifest_reference(), d);
  EXPECT_EQ(ImageRef::parse("localhost/app").domain, "localhost");
  ImageRef port_only = ImageRef::parse("reg.example:5000/app");
  EXPECT_EQ(port_only.tag, "latest");
  EXPECT_EQ(port_only.endpoint(), "reg.example:5000");
  ImageRef by_digest = ImageRef::parse("reg.example/app@" + d);
  EXPECT_TRUE(by_digest.tag.empty());
  EXPECT_EQ(by_digest.str(), "reg.example/app@" + d);
}

TEST(ImageRef, ErrorsNameTheReference) {
  for (const char* bad :
       {"", "UPPER", "app:", "app:-x", "reg:5000/", "a//b", "app@sha256:12", "a/b:c:d", "-app"}) {
    try {
      ImageRef::parse(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("\"") + bad + "\""), std::string::npos)
          << e.what();
    }
  }
}

TEST(ImageRef, CanonicalRegistry) {
  EXPECT_EQ(canonical_registry("registry-1.docker.io"), "docker.io");
  EXPECT_EQ(canonical_registry("index.docker.io"), "docker.io");
  EXPECT_EQ(canonical_registry("quay.io"), "quay.io");
}

}  // namespace
}  // namespace skiff::image
