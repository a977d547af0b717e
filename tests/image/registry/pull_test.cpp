// pull_image against a real registry (Debian's docker-registry) in each auth/TLS mode.
#include "image/registry/pull.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "common/error.h"
#include "common/file_io.h"
#include "image/registry/platform.h"
#include "registry_fixture.h"
#include "token_server.h"

namespace skiff::image {
namespace {

using skiff::testing::Registry;
using skiff::testing::TempDir;

// An auth file with no entries, so no test picks up the host's own credentials.
std::filesystem::path empty_auth_file(const TempDir& dir) {
  auto f = dir / "empty-auth.json";
  skiff::testing::write_text(f, "{}");
  return f;
}

PullOptions insecure(const Registry& r, const TempDir& dir) {
  PullOptions o;
  o.insecure_registries = {r.host()};
  o.auth_file = empty_auth_file(dir);
  return o;
}

std::string error_of(ContentStore& store, const std::string& ref, const PullOptions& o) {
  try {
    pull_image(store, ref, o);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

#define EXPECT_CONTAINS(haystack, needle) \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << (haystack)

TEST(PullHttp, ThreeLayerOciImage) {
  Registry reg(Registry::Mode::kHttp);
  TempDir dir;
  ContentStore store(dir / "store");
  PullOptions o = insecure(reg, dir);
  std::set<std::string> done;
  o.progress = [&](const LayerProgress& p) {
    if (p.phase == LayerProgress::Phase::Done) done.insert(p.digest);
  };
  PullResult r = pull_image(store, reg.host() + "/layers", o);
  EXPECT_EQ(r.reference, reg.host() + "/layers:latest");
  EXPECT_EQ(r.top.digest, r.manifest.digest);
  EXPECT_EQ(r.manifest.media_type, media_type::kOciManifest);
  ASSERT_EQ(r.parsed.layers.size(), 3u);
  EXPECT_EQ(r.blobs_downloaded, 4u);
  EXPECT_EQ(r.blobs_cached, 0u);
  EXPECT_EQ(done.size(), 4u);
  std::uint64_t total = r.parsed.config.size;
  for (const auto& l : r.parsed.layers) {
    EXPECT_EQ(l.media_type, "application/vnd.oci.image.layer.v1.tar+gzip");
    EXPECT_TRUE(store.has(l.digest));
    total += l.size;
  }
  EXPECT_EQ(r.bytes_downloaded, total);
  EXPECT_TRUE(store.has(r.manifest.digest));
  EXPECT_TRUE(store.has(r.parsed.config.digest));
  EXPECT_TRUE(skiff::testing::store_is_consistent(store.root()));
}

TEST(PullHttp, RepullDownloadsNothing) {
  Registry reg(Registry::Mode::kHttp);
  TempDir dir;
  ContentStore store(dir / "store");
  PullResult first = pull_image(store, reg.host() + "/layers:latest", insecure(reg, dir));
  PullResult again = pull_image(store, reg.host() + "/layers:latest", insecure(reg, dir));
  EXPECT_EQ(again.manifest.digest, first.manifest.digest);
  EXPECT_EQ(again.blobs_downloaded, 0u);
  EXPECT_EQ(again.blobs_cached, 4u);
  EXPECT_EQ(again.bytes_downloaded, 0u);
  // By digest, with everything cached, the registry is not even asked.
  PullResult by_digest =
      pull_image(store, reg.host() + "/layers@" + first.manifest.digest.str(), insecure(reg, dir));
  EXPECT_EQ(by_digest.reference, reg.host() + "/layers@" + first.manifest.digest.str());
  EXPECT_EQ(by_digest.blobs_downloaded, 0u);
}

TEST(PullHttp, ByDigestIntoEmptyStore) {
  Registry reg(Registry::Mode::kHttp);
  TempDir dir;
  ContentStore a(dir / "a"), b(dir / "b");
  PullResult first = pull_image(a, reg.host() + "/layers", insecure(reg, dir));
  PullResult second =
      pull_image(b, reg.host() + "/layers@" + first.manifest.digest.str(), insecure(reg, dir));
  EXPECT_EQ(second.manifest.digest, first.manifest.digest);
  EXPECT_EQ(second.blobs_downloaded, 4u);
  std::string absent = "sha256:" + std::string(64, 'e');
  std::string err = error_of(b, reg.host() + "/layers@" + absent, insecure(reg, dir));
  EXPECT_CONTAINS(err, reg.host() + "/layers");
  EXPECT_CONTAINS(err, absent);
  EXPECT_CONTAINS(err, "HTTP 404");
}

TEST(PullHttp, DockerSchema2) {
  Registry reg(Registry::Mode::kHttp);
  TempDir dir;
  ContentStore store(dir / "store");
  PullResult r = pull_image(store, reg.host() + "/docker", insecure(reg, dir));
  EXPECT_EQ(r.manifest.media_type, media_type::kDockerManifest);
  EXPECT_EQ(r.parsed.config.media_type, "application/vnd.docker.container.image.v1+json");
  ASSERT_EQ(r.parsed.layers.size(), 3u);
  for (const auto& l : r.parsed.layers) {
    EXPECT_EQ(l.media_type, "application/vnd.docker.image.rootfs.diff.tar.gzip");
  }
  EXPECT_TRUE(skiff::testing::store_is_consistent(store.root()));
}

TEST(PullHttp, ZstdLayers) {
  Registry reg(Registry::Mode::kHttp);
  TempDir dir;
  ContentStore store(dir / "store");
  PullResult r = pull_image(store, reg.host() + "/zstd", insecure(reg, dir));
  ASSERT_EQ(r.parsed.layers.size(), 3u);
  for (const auto& l : r.parsed.layers) {
    EXPECT_EQ(l.media_type, "application/vnd.oci.image.layer.v1.tar+zstd");
    std::string head = read_file(store.path(l.digest)).substr(0, 4);
    EXPECT_EQ(head, std::string("\x28\xb5\x2f\xfd", 4)) << "not zstd: " << l.digest.str();
  }
}

TEST(PullHttp, MultiArchIndex) {
  Registry reg(Registry::Mode::kHttp);
  TempDir dir;
  ContentStore store(dir / "store");
  auto config_arch = [&](const PullResult& r) {
    auto j = nlohmann::json::parse(store.read_small(r.parsed.config.digest, 1 << 20));
    return j.value("architecture", "");
  };
  // Default: the host's platform (amd64 on the machines these tests run on).
  PullResult host = pull_image(store, reg.host() + "/multi", insecure(reg, dir));
  EXPECT_EQ(host.top.media_type, media_type::kOciIndex);
  EXPECT_NE(host.top.digest, host.manifest.digest);
  EXPECT_TRUE(store.has(host.top.digest));
  EXPECT_EQ(config_arch(host), Platform::host().architecture);

  PullOptions o = insecure(reg, dir);
  o.platform = "linux/arm64/v8";
  PullResult arm = pull_image(store, reg.host() + "/multi", o);
  EXPECT_EQ(arm.top.digest, host.top.digest);
  EXPECT_EQ(config_arch(arm), "arm64");
  EXPECT_EQ(Platform::from_json(arm.manifest.platform).str(), "linux/arm64/v8");
  o.platform = "linux/arm64";  // no variant: v8 is arm64's default
  EXPECT_EQ(pull_image(store, reg.host() + "/multi", o).manifest.digest, arm.manifest.digest);

  o.platform = "linux/s390x";
  std::string err = error_of(store, reg.host() + "/multi", o);
  EXPECT_CONTAINS(err, "no image for platform linux/s390x");
  EXPECT_CONTAINS(err, "available: linux/amd64, linux/arm64/v8");
  EXPECT_CONTAINS(err, reg.host() + "/multi:latest");
}

TEST(PullHttp, Errors) {
  Registry reg(Registry::Mode::kHttp);
  TempDir dir;
  ContentStore store(dir / "store");
  std::string err = error_of(store, reg.host() + "/nope:latest", insecure(reg, dir));
  EXPECT_CONTAINS(err, reg.host() + "/nope");
  EXPECT_CONTAINS(err, "HTTP 404");
  EXPECT_CONTAINS(err, "MANIFEST_UNKNOWN");
  // Not listed as insecure: HTTPS only, which this registry does not speak.
  PullOptions secure;
  secure.auth_file = empty_auth_file(dir);
  err = error_of(store, reg.host() + "/layers", secure);
  EXPECT_CONTAINS(err, "TLS handshake with " + reg.host());
  PullOptions refused = insecure(reg, dir);
  refused.retries = 1;
  err = error_of(store, "127.0.0.1:1/layers", refused);
  EXPECT_CONTAINS(err, "connect to 127.0.0.1:1");
  EXPECT_CONTAINS(err, "giving up after 2 attempts");
  err = error_of(store, "Bad/Ref", insecure(reg, dir));
  EXPECT_CONTAINS(err, "\"Bad/Ref\"");
  EXPECT_TRUE(skiff::testing::store_is_consistent(store.root()));
}

TEST(PullTls, TrustsOnlyTheGivenCa) {
  Registry reg(Registry::Mode::kTls);
  TempDir dir;
  ContentStore store(dir / "store");
  PullOptions o;
  o.auth_file = empty_auth_file(dir);
  std::string err = error_of(store, reg.host() + "/layers", o);
  EXPECT_CONTAINS(err, "TLS handshake with " + reg.host());
  EXPECT_CONTAINS(err, "certificate verify failed");
  EXPECT_TRUE(store.list().empty());

  o.ca_file = reg.ca_file();
  PullResult r = pull_image(store, reg.host() + "/layers", o);
  EXPECT_EQ(r.blobs_downloaded, 4u);

  // Listed as insecure: TLS without verification, and no CA needed.
  TempDir dir2;
  ContentStore store2(dir2 / "store");
  PullResult r2 = pull_image(store2, reg.host() + "/layers", insecure(reg, dir2));
  EXPECT_EQ(r2.manifest.digest, r.manifest.digest);
}

TEST(PullBasic, CredentialsFromAuthFile) {
  Registry reg(Registry::Mode::kBasic);
  TempDir dir;
  ContentStore store(dir / "store");
  PullOptions o = insecure(reg, dir);
  std::string err = error_of(store, reg.host() + "/layers", o);
  EXPECT_CONTAINS(err, "HTTP 401");
  EXPECT_CONTAINS(err, "no credentials for " + reg.host());

  o.auth_file = reg.write_auth_file("wrong-password");
  err = error_of(store, reg.host() + "/layers", o);
  EXPECT_CONTAINS(err, "HTTP 401");
  EXPECT_CONTAINS(err, "refused the credentials");
  EXPECT_EQ(err.find("wrong-password"), std::string::npos) << "password in message: " << err;

  o.auth_file = reg.write_auth_file();
  PullResult r = pull_image(store, reg.host() + "/layers", o);
  EXPECT_EQ(r.blobs_downloaded, 4u);
  EXPECT_TRUE(skiff::testing::store_is_consistent(store.root()));
}

TEST(PullBasic, DefaultAuthFileSearch) {
  Registry reg(Registry::Mode::kBasic);
  TempDir dir;
  ContentStore store(dir / "store");
  skiff::testing::ScopedEnv env("REGISTRY_AUTH_FILE", reg.write_auth_file().string());
  PullOptions o;
  o.insecure_registries = {reg.host()};
  EXPECT_EQ(pull_image(store, reg.host() + "/docker", o).blobs_downloaded, 4u);
}

TEST(PullToken, BearerTokenFromRealm) {
  Registry reg(Registry::Mode::kToken);
  TempDir dir;
  ContentStore store(dir / "store");
  PullOptions o = insecure(reg, dir);
  std::string err = error_of(store, reg.host() + "/layers", o);
  EXPECT_CONTAINS(err, "token server " + reg.token_server()->realm());
  EXPECT_CONTAINS(err, "HTTP 401");
  EXPECT_CONTAINS(err, "repository:layers:pull");

  o.auth_file = reg.write_auth_file();
  PullResult r = pull_image(store, reg.host() + "/multi", o);
  EXPECT_EQ(r.blobs_downloaded, 4u);
  // One token for the scope, reused by the parallel blob downloads.
  EXPECT_EQ(reg.token_server()->tokens_issued(), 1u);

  reg.token_server()->use_access_token_field(true);
  TempDir dir2;
  ContentStore store2(dir2 / "store");
  o.platform = "linux/arm64";
  EXPECT_EQ(pull_image(store2, reg.host() + "/multi", o).blobs_downloaded, 4u);
  EXPECT_TRUE(skiff::testing::store_is_consistent(store2.root()));
}

TEST(PullConcurrency, TwoPullsOneStore) {
  Registry reg(Registry::Mode::kHttp);
  TempDir dir;
  std::vector<PullResult> results(2);
  std::vector<std::string> errors(2);
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] {
      try {
        // Separate ContentStore objects, as two processes would have.
        ContentStore store(dir / "store");
        results[i] = pull_image(store, reg.host() + "/zstd", insecure(reg, dir));
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors[0], "");
  EXPECT_EQ(errors[1], "");
  // Each blob came over the network exactly once.
  EXPECT_EQ(results[0].blobs_downloaded + results[1].blobs_downloaded, 4u);
  EXPECT_EQ(results[0].blobs_cached + results[1].blobs_cached, 4u);
  ContentStore store(dir / "store");
  EXPECT_EQ(store.list().size(), 5u);  // config, 3 layers, manifest
  EXPECT_TRUE(skiff::testing::store_is_consistent(store.root()));
}

}  // namespace
}  // namespace skiff::image
