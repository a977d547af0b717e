// Fuzz target: an image config blob: rootfs.diff_ids (layer identities) and the `config`
// object (Entrypoint, Cmd, Env, User, ...) turned into a runtime config.json, as the agent
// does when it makes a bundle. The rootfs does not exist, so a named User fails its lookup.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "image/bundle/bundle.h"
#include "image/snapshots/chain_id.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace skiff::image;
  // The services read configs with allow_exceptions=false and refuse a discarded one.
  auto config = nlohmann::json::parse(skiff::fuzz::as_text(data, size), nullptr, false);
  if (config.is_discarded() || !config.is_object()) return 0;
  try {
    (void)chain_ids(diff_ids_of(config, "fuzz-config"));
  } catch (const skiff::Error&) {
  }
  try {
    BundleOverrides overrides;
    (void)make_runtime_config(config.value("config", nlohmann::json()), overrides,
                              "/nonexistent/skiff-fuzz/rootfs");
  } catch (const skiff::Error&) {
  }
  return 0;
}
