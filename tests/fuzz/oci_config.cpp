// Fuzz target: an OCI bundle's config.json, read the way `skiff-runtime create` reads it
// (load_spec: the file, JSON syntax, then every field parse_spec validates).
#include <cstddef>
#include <cstdint>

#include "runtime/spec/spec.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& bundle = skiff::fuzz::scratch().path();
  skiff::fuzz::write_input(bundle / "config.json", skiff::fuzz::as_text(data, size));
  try {
    (void)skiff::oci::load_spec(bundle);
  } catch (const skiff::Error&) {
  }
  return 0;
}
