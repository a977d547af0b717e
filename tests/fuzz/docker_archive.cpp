// Fuzz target: a docker-archive's manifest.json. Each input becomes manifest.json in a tar
// that also holds a valid config ("config.json") and layer ("layer.tar"), so accepted
// manifests go on through the whole import into a fresh content store. Runs confined
// (confine.h): the import writes files.
#include "image/archive/docker_archive.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

#include "image/store/content_store.h"
#include "image/store/digest.h"
#include "tests/fuzz/confine.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/image/unpack/tar_builder.h"

namespace fs = std::filesystem;
using skiff::image::test::TarBuilder;

namespace {

struct Fixed {
  std::string layer;   // an uncompressed layer tar
  std::string config;  // its image config
};

const Fixed& fixed() {
  static const Fixed f = [] {
    fs::path file = skiff::fuzz::scratch().path() / "layer-seed.tar";
    TarBuilder(file).dir("etc").file("etc/hello", "hi\n").finish();
    Fixed out;
    out.layer = skiff::image::test::read_file(file);
    fs::remove(file);
    std::string diff = skiff::image::sha256_of(out.layer).str();
    out.config = R"({"architecture":"amd64","os":"linux","config":{"Cmd":["/bin/sh"]},)"
                 R"("rootfs":{"type":"layers","diff_ids":[")" +
                 diff + R"("]}})";
    return out;
  }();
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  skiff::fuzz::confine_to_user_namespace();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fs::path& dir = skiff::fuzz::scratch().path();
  fs::path tar = dir / "image.tar";
  fs::path store_root = dir / "store";
  {
    TarBuilder b(tar);
    b.file("manifest.json", std::string(skiff::fuzz::as_text(data, size)))
        .file("config.json", fixed().config)
        .file("layer.tar", fixed().layer)
        .finish();
  }
  try {
    skiff::image::ContentStore store(store_root);
    (void)skiff::image::import_docker_archive(store, tar);
  } catch (const skiff::Error&) {
  }
  std::error_code ec;
  fs::remove_all(store_root, ec);
  return 0;
}
