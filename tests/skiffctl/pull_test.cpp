// `skiffctl image pull` from a real docker-registry on 127.0.0.1, then a bundle of the
// pulled image (root: overlay): the registry's whiteout/opaque test layers merge right.
#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "common/file_io.h"
#include "image/snapshots/overlay.h"
#include "tests/image/registry/registry_fixture.h"
#include "tests/image/service/image_builder.h"

namespace skiff::image {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Out {
  int code = -1;
  std::string out;  // stdout and stderr together
};

// Arguments are trusted test input without shell metacharacters.
Out ctl(const fs::path& root, const std::string& args) {
  std::string cmd = std::string(SKIFFCTL_BIN) + " --root " + root.string() + " " + args + " 2>&1";
  Out o;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return o;
  char buf[4096];
  std::size_t n;
  while ((n = ::fread(buf, 1, sizeof buf, p)) > 0) o.out.append(buf, n);
  int status = ::pclose(p);
  o.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return o;
}

class SkiffctlPull : public ::testing::Test {
 protected:
  void TearDown() override {
    for (const std::string& m : test::mounts_under(tmp_.path())) unmount_if_mounted(m);
  }
  skiff::testing::TempDir tmp_;
};

TEST_F(SkiffctlPull, PullsRecordsAndBundlesWithWhiteouts) {
  skiff::testing::Registry reg(skiff::testing::Registry::Mode::kHttp);
  fs::path root = tmp_ / "store";
  std::string ref = reg.host() + "/layers:latest";

  // Not a terminal: one plain line per layer phase, then a summary.
  Out plain = ctl(root, "image pull --insecure " + reg.host() + " " + ref);
  ASSERT_EQ(plain.code, 0) << plain.out;
  EXPECT_NE(plain.out.find(": done"), std::string::npos) << plain.out;
  EXPECT_EQ(plain.out.find("\x1b["), std::string::npos) << "escape codes on a pipe";

  Out again = ctl(root, "--json image pull --insecure " + reg.host() + " " + ref);
  ASSERT_EQ(again.code, 0) << again.out;
  json j = json::parse(again.out);
  EXPECT_EQ(j["reference"], ref);
  EXPECT_EQ(j["blobsDownloaded"], 0);

  Out ls = ctl(root, "--json image ls");
  ASSERT_EQ(ls.code, 0) << ls.out;
  json list = json::parse(ls.out);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["name"], ref);

  Out b = ctl(root, "image bundle " + ref + " " + (tmp_ / "b").string());
  ASSERT_EQ(b.code, 0) << b.out;
  fs::path r = tmp_ / "b/rootfs";
  EXPECT_FALSE(fs::exists(fs::symlink_status(r / "opt/gone"))) << "whiteout ignored";
  EXPECT_TRUE(fs::exists(r / "opt/new"));
  EXPECT_TRUE(fs::exists(r / "bin/busybox"));
  Out rb = ctl(root, "image rm-bundle " + (tmp_ / "b").string());
  EXPECT_EQ(rb.code, 0) << rb.out;
  EXPECT_TRUE(test::mounts_under(tmp_.path()).empty());
}

// What skiff-agent runs as its image helper: pull --unpack fills the layer cache, so the
// first bundle unpacks nothing; unpack --into flattens the layers with whiteouts applied.
TEST_F(SkiffctlPull, PullUnpackFillsTheLayerCacheAndUnpackIntoFlattens) {
  skiff::testing::Registry reg(skiff::testing::Registry::Mode::kHttp);
  fs::path root = tmp_ / "store";
  std::string ref = reg.host() + "/layers:latest";

  Out pull = ctl(root, "--json image pull --unpack --insecure " + reg.host() + " -- " + ref);
  ASSERT_EQ(pull.code, 0) << pull.out;
  json j = json::parse(pull.out);
  ASSERT_TRUE(j.contains("layersUnpacked")) << pull.out;
  EXPECT_GE(j["layersUnpacked"].get<int>(), 2) << pull.out;
  std::size_t snapshots = 0;
  for (const auto& e : fs::directory_iterator(root / "snapshots")) {
    if (e.path().filename().string().find('.') == std::string::npos) ++snapshots;
  }
  EXPECT_EQ(snapshots, j["layersUnpacked"].get<std::size_t>());

  Out again = ctl(root, "--json image unpack " + ref);
  ASSERT_EQ(again.code, 0) << again.out;
  EXPECT_EQ(json::parse(again.out)["layersUnpacked"], 0) << "every layer was cached";

  Out b = ctl(root, "--json image bundle " + ref + " " + (tmp_ / "b").string());
  ASSERT_EQ(b.code, 0) << b.out;
  EXPECT_EQ(json::parse(b.out)["layersUnpacked"], 0) << b.out;
  EXPECT_EQ(ctl(root, "image rm-bundle " + (tmp_ / "b").string()).code, 0);

  fs::path flat = tmp_ / "flat";
  Out into = ctl(root, "image unpack --into " + flat.string() + " " + ref);
  ASSERT_EQ(into.code, 0) << into.out;
  EXPECT_FALSE(fs::exists(fs::symlink_status(flat / "opt/gone"))) << "whiteout ignored";
  EXPECT_TRUE(fs::exists(flat / "opt/new"));
  EXPECT_TRUE(fs::exists(flat / "bin/busybox"));
  EXPECT_FALSE(fs::exists(fs::symlink_status(flat / "opt/.wh.gone"))) << "marker left behind";

  Out busy = ctl(root, "image unpack --into " + flat.string() + " " + ref);
  EXPECT_EQ(busy.code, 1) << busy.out;
  EXPECT_NE(busy.out.find(flat.string()), std::string::npos) << busy.out;
  Out missing = ctl(root, "image unpack " + reg.host() + "/nothere:1");
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.out.find("nothere"), std::string::npos) << missing.out;
}

TEST_F(SkiffctlPull, IndexIsRecordedWithThePlatformManifest) {
  skiff::testing::Registry reg(skiff::testing::Registry::Mode::kHttp);
  fs::path root = tmp_ / "store";
  std::string ref = reg.host() + "/multi:latest";
  Out pull = ctl(root, "--json image pull --insecure " + reg.host() + " " + ref);
  ASSERT_EQ(pull.code, 0) << pull.out;
  json j = json::parse(pull.out);
  EXPECT_NE(j["digest"], j["manifest"]) << "an index: the name points at it";
  Out inspect = ctl(root, "--json image inspect " + ref);
  ASSERT_EQ(inspect.code, 0) << inspect.out;
  json i = json::parse(inspect.out);
  EXPECT_EQ(i["manifest"], j["manifest"]);
  EXPECT_EQ(i["config"]["architecture"], "amd64");

  Out bad = ctl(root, "image pull --insecure " + reg.host() + " " + reg.host() + "/nothere:1");
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.out.find("nothere"), std::string::npos) << bad.out;
}

}  // namespace
}  // namespace skiff::image
