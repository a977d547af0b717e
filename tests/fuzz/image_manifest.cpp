// Fuzz target: OCI and Docker v2 image manifests (registry responses and layout blobs).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "image/store/oci_types.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace skiff::image;
  try {
    Manifest m = parse_manifest(skiff::fuzz::as_text(data, size), "fuzz-manifest");
    // What the puller does next with an accepted manifest.
    (void)m.config.to_json();
    for (const Descriptor& layer : m.layers) (void)layer.to_json();
  } catch (const skiff::Error&) {
  }
  return 0;
}
