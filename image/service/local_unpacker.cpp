// The in-process LayerUnpacker (libarchive) and the constructor that uses it. Apart from
// images.cpp so that a program passing its own unpacker does not link libarchive.
#include <fmt/format.h>

#include "image/service/images.h"
#include "image/snapshots/chain_id.h"
#include "image/unpack/unpack.h"

namespace skiff::image {

namespace fs = std::filesystem;

namespace {

class InProcessUnpacker final : public LayerUnpacker {
 public:
  void make_snapshots(const ContentStore& store, const ResolvedImage&,
                      const std::vector<LayerRef>& missing) override {
    Snapshotter(store).prepare(missing);
  }

  void apply_layers(const ContentStore& store, const ResolvedImage&,
                    const std::vector<LayerRef>& layers, const fs::path& rootfs) override {
    for (const LayerRef& l : layers) {
      fs::path blob = store.path(l.blob.digest);
      verify_diff_id(blob, l.blob.digest, l.diff_id);
      apply_layer_copy(blob, rootfs);
    }
  }
};

}  // namespace

std::shared_ptr<LayerUnpacker> local_unpacker() {
  return std::make_shared<InProcessUnpacker>();
}

Images::Images(fs::path root, ImagesOptions opts)
    : Images(std::move(root), std::move(opts), local_unpacker()) {}

}  // namespace skiff::image
