// The entry loop shared by unpack_layer (into a fresh partial dir) and apply_layer_copy.
#pragma once

#include <filesystem>

#include "image/unpack/unpack.h"

namespace skiff::image {

// Extracts every entry of `layer_file` under `root`, an existing directory given as an
// absolute path without symlinks in it. Throws skiff::Error naming layer, entry and rule.
UnpackStats extract_layer(const std::filesystem::path& layer_file,
                          const std::filesystem::path& root, const UnpackOptions& opts,
                          bool overlay_whiteouts);

}  // namespace skiff::image
