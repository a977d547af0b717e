// Snapshotter::prepare lives apart from the rest of the snapshotter: it is the only part
// that needs libarchive, and a program that never unpacks (skiff-agent hands unpacking to
// a helper process) should not link it.
#include <fmt/format.h>

#include "common/error.h"
#include "image/snapshots/chain_id.h"
#include "image/snapshots/snapshotter.h"
#include "image/unpack/unpack.h"

namespace skiff::image {

namespace fs = std::filesystem;

std::vector<fs::path> Snapshotter::prepare(const std::vector<LayerRef>& layers) {
  std::vector<fs::path> out;
  for (const LayerRef& l : layers) {
    fs::path dest = path(l.chain_id);
    out.push_back(dest);
    if (has(l.chain_id)) continue;
    fs::path blob = store_.path(l.blob.digest);
    if (!store_.has(l.blob.digest)) {
      throw Error(fmt::format("layer {} is not in the store at {}", l.blob.digest.str(),
                              store_.root().string()));
    }
    verify_diff_id(blob, l.blob.digest, l.diff_id);
    UnpackOptions opts;
    opts.overlay_whiteouts = true;
    try {
      unpack_layer(blob, dest, opts);
    } catch (const Error&) {
      // Another process may have unpacked the same layer meanwhile: theirs is as good.
      if (has(l.chain_id)) continue;
      throw;
    }
  }
  return out;
}

}  // namespace skiff::image
