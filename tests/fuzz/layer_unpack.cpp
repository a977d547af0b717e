// Fuzz target: layer unpacking (libarchive: tar, gzip, zstd) into a fresh directory, with
// small bomb caps so one input stays bounded. Runs confined (confine.h). After each input
// the tree it made is removed; nothing may exist outside it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "image/unpack/unpack.h"
#include "tests/fuzz/confine.h"
#include "tests/fuzz/fuzz_support.h"

namespace fs = std::filesystem;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  skiff::fuzz::confine_to_user_namespace();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace skiff::image;
  const fs::path& dir = skiff::fuzz::scratch().path();
  fs::path layer = dir / "layer";
  fs::path dest = dir / "rootfs";
  skiff::fuzz::write_input(layer, skiff::fuzz::as_text(data, size));
  UnpackOptions opts;
  opts.max_bytes = 1 << 20;
  opts.max_entries = 512;
  try {
    (void)unpack_layer(layer, dest, opts);
  } catch (const skiff::Error&) {
  }
  std::error_code ec;
  fs::remove_all(dest, ec);
  // The scratch directory holds the layer and nothing else: no stray partial directory,
  // no entry written beside the destination.
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path() != layer) std::abort();
  }
  return 0;
}
