// Applying OCI whiteout markers, either as overlayfs whiteouts or by deleting (copy mode).
#pragma once

#include <string>
#include <unordered_set>

#include "image/unpack/entry_path.h"

namespace skiff::image {

// Paths this layer has written, plus all their ancestors. OCI whiteouts hide content of
// lower layers only, never entries of their own layer, whatever order the tar has them in.
class LayerPaths {
 public:
  void add(const std::string& rel);
  bool contains(const std::string& rel) const { return paths_.count(rel) != 0; }

 private:
  std::unordered_set<std::string> paths_;
};

// Overlay mode: dir/NAME becomes a 0:0 char device, an opaque dir gets
// trusted.overlay.opaque=y. Copy mode: dir/NAME, or the lower content of an opaque dir,
// is deleted from the tree under root_fd. Throws skiff::Error without layer context.
void apply_whiteout(int root_fd, const Whiteout& w, bool overlay, const LayerPaths& own);

}  // namespace skiff::image
