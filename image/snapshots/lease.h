// Leases: what a bundle made from an image uses, so prune never takes it away.
//
//   ROOT/leases/<bundle-id>.json   {bundle, image, manifest, mode, blobs[], snapshots[]}
//   ROOT/rw/<bundle-id>/{upper,work}   the container's writable overlay layer
//
// A lease is written before the bundle's rootfs is mounted and removed after it is
// unmounted and deleted, so at every moment the layers under a mount are leased.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "image/store/digest.h"

namespace skiff::image {

enum class SnapshotMode { kOverlay, kCopy };

struct Lease {
  std::string id;  // the bundle id
  std::filesystem::path bundle_dir;
  std::string image;  // the name it was made from
  Digest manifest;
  SnapshotMode mode = SnapshotMode::kOverlay;
  std::vector<Digest> blobs;      // manifest, config, layers
  std::vector<Digest> snapshots;  // ChainIDs (overlay mode)
  std::string created;
};

// Bundle ids become file names: [A-Za-z0-9][A-Za-z0-9_.-]{0,127}. Throws naming the id.
void check_bundle_id(const std::string& id);

class LeaseStore {
 public:
  explicit LeaseStore(std::filesystem::path root);

  std::filesystem::path dir() const { return root_ / "leases"; }
  std::filesystem::path rw_dir(const std::string& id) const { return root_ / "rw" / id; }

  void put(const Lease& lease);
  std::optional<Lease> get(const std::string& id) const;
  void remove(const std::string& id);
  std::vector<Lease> list() const;

 private:
  std::filesystem::path file(const std::string& id) const { return dir() / (id + ".json"); }
  std::filesystem::path root_;
};

}  // namespace skiff::image
