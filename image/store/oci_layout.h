// OCI image layouts (image-spec "image-layout.md"): a directory with oci-layout,
// index.json and blobs/sha256/<hex>, as written by umoci, skopeo, buildah and others.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "image/store/content_store.h"
#include "image/store/oci_types.h"

namespace skiff::image {

struct LayoutRef {
  std::string name;  // org.opencontainers.image.ref.name, or empty
  Descriptor descriptor;
};

// Copies everything index.json references (nested indexes, manifests, configs, layers)
// into `store`, verifying each blob's size and digest while it streams. Blobs are staged
// first and published only once the whole closure verified, so a refused import leaves
// the store as it was. Returns index.json's entries.
std::vector<LayoutRef> import_oci_layout(ContentStore& store, const std::filesystem::path& dir);

// Writes a layout at `dir` (created if missing) holding `descriptor`'s closure, with
// `name` (if not empty) as its ref name in index.json.
void export_oci_layout(const ContentStore& store, const Descriptor& descriptor,
                       std::string_view name, const std::filesystem::path& dir);

}  // namespace skiff::image
