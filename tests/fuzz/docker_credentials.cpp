// Fuzz target: docker config.json / podman auth.json credentials, looked up for a few
// registry spellings (Docker Hub's aliases, host:port, a plain host).
#include <cstddef>
#include <cstdint>

#include "image/registry/credentials.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace skiff::image;
  auto file = skiff::fuzz::scratch().path() / "auth.json";
  skiff::fuzz::write_input(file, skiff::fuzz::as_text(data, size));
  for (const char* registry : {"docker.io", "127.0.0.1:5000", "registry.example"}) {
    try {
      (void)credentials_from_file(file, registry);
    } catch (const skiff::Error&) {
    }
  }
  return 0;
}
