#include "image/store/oci_layout.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "common/error.h"
#include "tests/image/store/temp_dir.h"

namespace skiff::image {
namespace {

using nlohmann::json;
using skiff::testing::read_text;
using skiff::testing::TempDir;
using skiff::testing::write_text;

// A hand-made layout: one config, two layers, one manifest, index.json naming it "v1".
struct HandLayout {
  std::filesystem::path dir;
  std::string config = R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers"}})";
  std::string layer1 = "layer one bytes";
  std::string layer2 = std::string(3000, '\x7f') + "second layer";
  std::string manifest;
  Digest manifest_digest = sha256_of("");

  explicit HandLayout(std::filesystem::path d) : dir(std::move(d)) {
    auto desc = [](std::string_view type, const std::string& data) {
      return json{{"mediaType", type}, {"digest", sha256_of(data).str()}, {"size", data.size()}};
    };
    manifest = json{{"schemaVersion", 2},
                    {"mediaType", media_type::kOciManifest},
                    {"config", desc("application/vnd.oci.image.config.v1+json", config)},
                    {"layers",
                     {desc("application/vnd.oci.image.layer.v1.tar", layer1),
                      desc("application/vnd.oci.image.layer.v1.tar+gzip", layer2)}}}
                   .dump();
    manifest_digest = sha256_of(manifest);
    for (const std::string* blob : {&config, &layer1, &layer2, &manifest}) put_blob(*blob);
    write_text(dir / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
    json entry = desc(media_type::kOciManifest, manifest);
    entry["annotations"] = {{std::string(kRefNameAnnotation), "v1"}};
    write_index(json{{"schemaVersion", 2}, {"manifests", {entry}}});
  }
  void put_blob(const std::string& data) const {
    write_text(dir / "blobs/sha256" / sha256_of(data).hex(), data);
  }
  void write_index(const json& index) const { write_text(dir / "index.json", index.dump()); }
};

std::string import_error(ContentStore& store, const std::filesystem::path& dir) {
  try {
    import_oci_layout(store, dir);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

class OciLayoutTest : public ::testing::Test {
 protected:
  TempDir tmp;
  ContentStore store{tmp / "store"};
  HandLayout layout{tmp / "layout"};
};

TEST_F(OciLayoutTest, ImportExportRoundTrip) {
  std::vector<LayoutRef> refs = import_oci_layout(store, layout.dir);
  ASSERT_EQ(refs.size(), 1u);
  EXPECT_EQ(refs[0].name, "v1");
  EXPECT_EQ(refs[0].descriptor.digest, layout.manifest_digest);
  EXPECT_EQ(refs[0].descriptor.media_type, media_type::kOciManifest);
  for (const std::string* blob :
       {&layout.config, &layout.layer1, &layout.layer2, &layout.manifest}) {
    EXPECT_EQ(store.read_small(sha256_of(*blob), 1 << 20), *blob);
  }
  EXPECT_EQ(store.list().size(), 4u);

  std::filesystem::path out = tmp / "exported";
  export_oci_layout(store, refs[0].descriptor, "v1", out);
  EXPECT_EQ(json::parse(read_text(out / "oci-layout")),
            json::parse(read_text(layout.dir / "oci-layout")));
  json in_index = json::parse(read_text(layout.dir / "index.json"));
  json out_index = json::parse(read_text(out / "index.json"));
  EXPECT_EQ(out_index["manifests"], in_index["manifests"]);
  EXPECT_EQ(out_index["schemaVersion"], 2);
  std::size_t blobs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(out / "blobs/sha256")) {
    ++blobs;
    EXPECT_EQ(read_text(entry.path()),
              read_text(layout.dir / "blobs/sha256" / entry.path().filename()));
  }
  EXPECT_EQ(blobs, 4u);

  // What we export, we (and a fresh store) can import again.
  ContentStore again(tmp / "store2");
  EXPECT_EQ(import_oci_layout(again, out).at(0).name, "v1");
  EXPECT_EQ(again.list(), store.list());
}

TEST_F(OciLayoutTest, ReimportIsCheap) {
  import_oci_layout(store, layout.dir);
  // The blobs are already stored, so the layout's layer files are not even read.
  std::filesystem::remove(layout.dir / "blobs/sha256" / sha256_of(layout.layer2).hex());
  EXPECT_EQ(import_oci_layout(store, layout.dir).size(), 1u);
}

TEST_F(OciLayoutTest, TamperedLayerIsRefusedAndStoreUnchanged) {
  Digest layer2 = sha256_of(layout.layer2);
  std::string tampered = layout.layer2;
  tampered[10] = 'X';
  write_text(layout.dir / "blobs/sha256" / layer2.hex(), tampered);
  std::string msg = import_error(store, layout.dir);
  EXPECT_NE(msg.find(layer2.hex()), std::string::npos) << msg;
  EXPECT_NE(msg.find("mismatch"), std::string::npos) << msg;
  EXPECT_TRUE(store.list().empty()) << "a refused import published blobs";
  EXPECT_TRUE(std::filesystem::is_empty(store.ingest_dir()));
}

TEST_F(OciLayoutTest, Schema1IsRefused) {
  std::string schema1 = R"({"schemaVersion":1,"name":"x","tag":"latest","fsLayers":[]})";
  layout.put_blob(schema1);
  layout.write_index(json{{"schemaVersion", 2},
                          {"manifests",
                           {{{"mediaType", media_type::kDockerSchema1Signed},
                             {"digest", sha256_of(schema1).str()},
                             {"size", schema1.size()}}}}});
  std::string msg = import_error(store, layout.dir);
  EXPECT_NE(msg.find("schema1"), std::string::npos) << msg;

  // Also when the descriptor claims schema2 but the body is schema1.
  layout.write_index(json{{"schemaVersion", 2},
                          {"manifests",
                           {{{"mediaType", media_type::kDockerManifest},
                             {"digest", sha256_of(schema1).str()},
                             {"size", schema1.size()}}}}});
  msg = import_error(store, layout.dir);
  EXPECT_NE(msg.find("schema1"), std::string::npos) << msg;
  EXPECT_TRUE(store.list().empty());
}

TEST_F(OciLayoutTest, MissingOciLayoutFileIsRefused) {
  std::filesystem::remove(layout.dir / "oci-layout");
  std::string msg = import_error(store, layout.dir);
  EXPECT_NE(msg.find("oci-layout"), std::string::npos) << msg;
  EXPECT_NE(msg.find("not an OCI image layout"), std::string::npos) << msg;
}

TEST_F(OciLayoutTest, WrongLayoutVersionIsRefused) {
  write_text(layout.dir / "oci-layout", R"({"imageLayoutVersion":"2.0.0"})");
  EXPECT_NE(import_error(store, layout.dir).find("imageLayoutVersion"), std::string::npos);
}

TEST_F(OciLayoutTest, BadDigestInIndexNamesTheJsonPath) {
  layout.write_index(json{{"schemaVersion", 2},
                          {"manifests",
                           {{{"mediaType", media_type::kOciManifest},
                             {"digest", "sha256:../../../etc/passwd"},
                             {"size", 10}}}}});
  std::string msg = import_error(store, layout.dir);
  EXPECT_NE(msg.find("manifests[0].digest: not a sha256 digest"), std::string::npos) << msg;
}

TEST_F(OciLayoutTest, AbsurdManifestSizeIsRefused) {
  layout.write_index(json{{"schemaVersion", 2},
                          {"manifests",
                           {{{"mediaType", media_type::kOciManifest},
                             {"digest", layout.manifest_digest.str()},
                             {"size", 1ull << 40}}}}});
  std::string msg = import_error(store, layout.dir);
  EXPECT_NE(msg.find("limited"), std::string::npos) << msg;
}

TEST_F(OciLayoutTest, NestedIndexIsFollowed) {
  json child = {{"schemaVersion", 2},
                {"mediaType", media_type::kOciIndex},
                {"manifests",
                 {{{"mediaType", media_type::kOciManifest},
                   {"digest", layout.manifest_digest.str()},
                   {"size", layout.manifest.size()},
                   {"platform", {{"architecture", "amd64"}, {"os", "linux"}}}}}}};
  std::string child_text = child.dump();
  layout.put_blob(child_text);
  layout.write_index(json{{"schemaVersion", 2},
                          {"manifests",
                           {{{"mediaType", media_type::kOciIndex},
                             {"digest", sha256_of(child_text).str()},
                             {"size", child_text.size()}}}}});
  auto refs = import_oci_layout(store, layout.dir);
  ASSERT_EQ(refs.size(), 1u);
  EXPECT_EQ(refs[0].name, "");
  EXPECT_EQ(store.list().size(), 5u);
}

TEST(OciTypes, ManifestErrorsNameTheJsonPath) {
  std::string body = R"({"schemaVersion":2,"config":{"mediaType":"a","digest":"sha256:)" +
                     sha256_of("").hex() +
                     R"(","size":1},"layers":[{"mediaType":"b","digest":"sha256:00","size":1}]})";
  try {
    parse_manifest(body, "manifest m");
    FAIL() << "parsed a manifest with a bad layer digest";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("manifest m: layers[0].digest: not a sha256 digest"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(parse_manifest(R"({"schemaVersion":2,"layers":[]})", "m"), Error);
  EXPECT_THROW(parse_index(R"({"schemaVersion":2,"manifests":[{"mediaType":"x",
      "digest":"sha256:)" + sha256_of("").hex() +
                               R"(","size":-1}]})",
                           "i"),
               Error);
}

}  // namespace
}  // namespace skiff::image
