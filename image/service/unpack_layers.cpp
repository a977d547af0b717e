// Images::unpack: snapshots ahead of time (skiffctl image unpack, pull --unpack), or a
// flattened copy of an image's layers.
#include <fmt/format.h>

#include <system_error>

#include "common/error.h"
#include "image/service/images.h"
#include "image/store/store_lock.h"

namespace skiff::image {

namespace fs = std::filesystem;

std::vector<LayerRef> Images::layers_of(const ResolvedImage& img) const {
  return layer_refs(
      img.manifest, img.config,
      fmt::format("image \"{}\": config {}", img.name, img.manifest.config.digest.str()));
}

std::size_t Images::make_missing_snapshots(const ResolvedImage& img,
                                           const std::vector<LayerRef>& layers) {
  std::vector<LayerRef> missing = Snapshotter(store_).missing(layers);
  if (!missing.empty()) unpacker_->make_snapshots(store_, img, missing);
  return missing.size();
}

std::size_t Images::unpack(std::string_view ref, const std::optional<fs::path>& into) {
  // Shared: prune must not take a snapshot while it is being made.
  StoreLock shared = store_.lock(StoreLock::Mode::kShared);
  ResolvedImage img = resolve(ref);
  std::vector<LayerRef> layers = layers_of(img);
  if (into) {
    std::error_code ec;
    fs::create_directories(*into, ec);
    if (ec) throw SysError("create directory", into->string(), ec.value());
    if (!fs::is_empty(*into, ec) || ec) {
      throw SysError("unpack into", into->string(), ec ? ec.value() : ENOTEMPTY);
    }
    unpacker_->apply_layers(store_, img, layers, *into);
    return layers.size();
  }
  return make_missing_snapshots(img, layers);
}

}  // namespace skiff::image
