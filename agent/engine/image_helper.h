// Image work that needs the registry client or libarchive runs in a helper process,
// `skiffctl image pull --unpack` and `skiffctl image unpack`, so the resident agent maps
// neither (about 1.7 MiB of libraries: libarchive, its codecs, libxml2 and ICU). Pulls and
// first unpacks are rare and I/O bound; the exec adds a few milliseconds to them. Starting
// a container from a cached, unpacked image needs no helper.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "image/registry/pull.h"
#include "image/service/images.h"

namespace skiff::agent {

struct ImageHelperConfig {
  std::filesystem::path skiffctl;    // the helper binary
  std::filesystem::path store_root;  // the agent's image store
  image::PullOptions pull;           // auth file, CA, insecure registries, platform
  // ECS_IMAGE_PULL_TIMEOUT's default; the registry client has its own idle timeouts.
  std::chrono::milliseconds pull_timeout = std::chrono::hours(2);
  std::chrono::milliseconds unpack_timeout = std::chrono::minutes(30);
};

// Pulls `ref` into the store and unpacks its layers. Returns a one-line summary; throws
// skiff::Error with the helper's own message (which names the registry, blob or layer).
std::string pull_with_helper(const ImageHelperConfig& config, const std::string& ref);

// A LayerUnpacker that runs `skiffctl image unpack` on the agent's store.
class HelperUnpacker final : public image::LayerUnpacker {
 public:
  explicit HelperUnpacker(ImageHelperConfig config) : config_(std::move(config)) {}
  void make_snapshots(const image::ContentStore& store, const image::ResolvedImage& image,
                      const std::vector<image::LayerRef>& missing) override;
  void apply_layers(const image::ContentStore& store, const image::ResolvedImage& image,
                    const std::vector<image::LayerRef>& layers,
                    const std::filesystem::path& rootfs) override;

 private:
  ImageHelperConfig config_;
};

}  // namespace skiff::agent
