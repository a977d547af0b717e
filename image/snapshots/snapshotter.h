// Unpacked layers, shared by every image and container that uses them.
//
//   ROOT/snapshots/<chainid hex>/            one layer's tree, overlay whiteouts applied
//   ROOT/snapshots/<hex>.partial-XXXXXX/     being unpacked (renamed into place when done)
//
// A snapshot is named by its ChainID, so the same layer on the same base is unpacked once
// however many images list it. Callers hold the content store's shared lock while they
// prepare snapshots and record a lease for them; prune holds it exclusive.
#pragma once

#include <filesystem>
#include <set>
#include <vector>

#include "image/store/content_store.h"
#include "image/store/oci_types.h"

namespace skiff::image {

struct LayerRef {
  Descriptor blob;  // from the manifest
  Digest diff_id;   // from the config's rootfs.diff_ids
  Digest chain_id;
};

// Pairs manifest layers with the config's DiffIDs (counts must match; errors name
// `where`) and computes ChainIDs.
std::vector<LayerRef> layer_refs(const Manifest& manifest, const nlohmann::json& config,
                                 std::string_view where);

class Snapshotter {
 public:
  explicit Snapshotter(const ContentStore& store);

  std::filesystem::path dir() const { return store_.root() / "snapshots"; }
  std::filesystem::path path(const Digest& chain_id) const { return dir() / chain_id.hex(); }
  bool has(const Digest& chain_id) const;

  // Unpacks every layer that has no snapshot yet (verifying its DiffID first); returns
  // the snapshot paths bottom to top. Returns quickly when all exist. (snapshot_unpack.cpp:
  // the one part that needs libarchive.)
  std::vector<std::filesystem::path> prepare(const std::vector<LayerRef>& layers);
  // The layers that have no snapshot yet, in order.
  std::vector<LayerRef> missing(const std::vector<LayerRef>& layers) const;
  // The snapshot paths bottom to top; throws naming the first layer that is not unpacked.
  std::vector<std::filesystem::path> paths(const std::vector<LayerRef>& layers) const;

  // Snapshots on disk (complete ones), by ChainID.
  std::vector<Digest> list() const;
  // Deletes snapshots not in `keep` and stale partial unpacks. The caller holds the
  // store's exclusive lock. Returns the ChainIDs removed.
  std::vector<Digest> remove_except(const std::set<Digest>& keep);

 private:
  const ContentStore& store_;
};

}  // namespace skiff::image
