// Challenge parsing and auth-file lookup: pure logic, no network.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

#include "common/error.h"
#include "image/registry/challenge.h"
#include "image/registry/credentials.h"
#include "registry_fixture.h"

namespace skiff::image {
namespace {

TEST(Challenge, BearerAndBasic) {
  auto cs = parse_challenges(
      "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
      "scope=\"repository:library/busybox:pull\",error=\"insufficient_scope\"");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].scheme, "bearer");
  EXPECT_EQ(cs[0].param("realm"), "https://auth.docker.io/token");
  EXPECT_EQ(cs[0].param("service"), "registry.docker.io");
  EXPECT_EQ(cs[0].param("scope"), "repository:library/busybox:pull");
  auto two = parse_challenges("Basic realm=\"basic-realm\", Bearer realm=x:1/t, scope=a:b");
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].scheme, "basic");
  EXPECT_EQ(two[0].param("realm"), "basic-realm");
  EXPECT_EQ(two[1].param("realm"), "x:1/t");
  EXPECT_EQ(two[1].param("scope"), "a:b");
  EXPECT_EQ(parse_challenges("Bearer realm=\"a\\\"b\"")[0].param("realm"), "a\"b");
  // Garbage never throws.
  for (const char* junk : {"", ",,,", "=", "Bearer ===", "\"", "Bearer realm=\"unterminated"}) {
    EXPECT_NO_THROW(parse_challenges(junk));
  }
}

TEST(Challenge, Encodings) {
  EXPECT_EQ(url_encode("repository:a/b:pull"), "repository%3Aa%2Fb%3Apull");
  EXPECT_EQ(base64_encode("user:pass"), "dXNlcjpwYXNz");
}

TEST(Credentials, LookupByHostAndAlias) {
  skiff::testing::TempDir tmp;
  auto file = tmp / "config.json";
  skiff::testing::write_text(file, R"({"auths": {
      "127.0.0.1:5000": {"auth": "dXNlcjpwYXNz"},
      "https://index.docker.io/v1/": {"username": "hub", "password": "p:w"},
      "http://reg.example:8080/v2/": {"auth": "YTpi"}}})");
  auto c = credentials_from_file(file, "127.0.0.1:5000");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->username, "user");
  EXPECT_EQ(c->password, "pass");
  auto hub = credentials_from_file(file, "registry-1.docker.io");
  ASSERT_TRUE(hub);
  EXPECT_EQ(hub->password, "p:w");
  EXPECT_EQ(credentials_from_file(file, "reg.example:8080")->username, "a");
  EXPECT_FALSE(credentials_from_file(file, "127.0.0.1:5001"));
  EXPECT_FALSE(credentials_from_file(tmp / "missing.json", "x"));
}

TEST(Credentials, MalformedFilesNameTheFile) {
  skiff::testing::TempDir tmp;
  auto file = tmp / "auth.json";
  for (const char* bad :
       {"not json", R"({"auths": []})", R"({"auths": {"h": {"auth": "%%%"}}})",
        R"({"auths": {"h": {"auth": "bm9jb2xvbg=="}}})", R"({"auths": {"h": {"username": 3}}})"}) {
    skiff::testing::write_text(file, bad);
    try {
      credentials_from_file(file, "h");
      ADD_FAILURE() << "accepted " << bad;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(find_credentials(tmp / "nope.json", "h"), Error);
}

TEST(Credentials, DefaultSearchOrder) {
  skiff::testing::TempDir tmp;
  skiff::testing::write_text(tmp / "env.json", R"({"auths": {"a:1": {"auth": "ZW52OjE="}}})");
  skiff::testing::write_text(
      tmp / "xdg/containers/auth.json",
      R"({"auths": {"a:1": {"auth": "eGRnOjE="}, "b:1": {"auth": "eGRnOjE="}}})");
  skiff::testing::write_text(tmp / "home/.docker/config.json",
                             R"({"auths": {"c:1": {"auth": "aG9tZTox"}}})");
  skiff::testing::ScopedEnv e1("REGISTRY_AUTH_FILE", (tmp / "env.json").string());
  skiff::testing::ScopedEnv e2("XDG_RUNTIME_DIR", (tmp / "xdg").string());
  skiff::testing::ScopedEnv e3("HOME", (tmp / "home").string());
  EXPECT_EQ(find_credentials({}, "a:1")->username, "env");
  EXPECT_EQ(find_credentials({}, "b:1")->username, "xdg");
  EXPECT_EQ(find_credentials({}, "c:1")->username, "home");
  EXPECT_FALSE(find_credentials({}, "d:1"));
}

}  // namespace
}  // namespace skiff::image
