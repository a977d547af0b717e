// Fuzz target: OCI image indexes and Docker manifest lists (registry responses,
// index.json of an OCI layout).
#include <cstddef>
#include <cstdint>

#include "image/store/oci_types.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace skiff::image;
  try {
    Index index = parse_index(skiff::fuzz::as_text(data, size), "fuzz-index");
    for (const Descriptor& d : index.manifests) (void)d.to_json();
  } catch (const skiff::Error&) {
  }
  return 0;
}
