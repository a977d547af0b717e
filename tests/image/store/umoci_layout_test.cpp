// Imports a layout written by umoci, an independent implementation of the image spec.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "image/store/oci_layout.h"
#include "tests/image/store/temp_dir.h"

namespace skiff::image {
namespace {

TEST(UmociLayout, ImportsAndReexports) {
  std::string script = SKIFF_FIXTURES "/make-oci-layout.sh";
  // scripts/setup.sh installs umoci: a missing one is a broken machine, not a skip.
  ASSERT_TRUE(std::filesystem::exists(script)) << script << " is missing";
  ASSERT_EQ(std::system("command -v umoci >/dev/null 2>&1"), 0)
      << "umoci is not installed (scripts/setup.sh installs it)";
  skiff::testing::TempDir tmp;
  std::string cmd = script + " " + (tmp / "layout").string() + " " SKIFF_PROBE " >/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;

  ContentStore store(tmp / "store");
  std::vector<LayoutRef> refs = import_oci_layout(store, tmp / "layout");
  ASSERT_EQ(refs.size(), 1u);
  EXPECT_EQ(refs[0].name, "latest");
  Manifest m = parse_manifest(store.read_small(refs[0].descriptor.digest, kMaxManifestSize), "m",
                              refs[0].descriptor.media_type);
  EXPECT_TRUE(store.has(m.config.digest));
  ASSERT_FALSE(m.layers.empty());
  for (const Descriptor& layer : m.layers) {
    EXPECT_TRUE(store.has(layer.digest));
    EXPECT_EQ(store.size(layer.digest), layer.size);
  }

  export_oci_layout(store, refs[0].descriptor, "latest", tmp / "out");
  // umoci itself must accept what we wrote.
  std::string check = "umoci stat --image " + (tmp / "out").string() + ":latest >/dev/null";
  EXPECT_EQ(std::system(check.c_str()), 0) << check;
}

}  // namespace
}  // namespace skiff::image
