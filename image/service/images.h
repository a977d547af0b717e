// The image service: the one API the agent and skiffctl use for images.
//
//   ROOT/                         (default /var/lib/skiff/images)
//   ├── blobs/sha256/<hex>        content store (image/store)
//   ├── ingest/                   blobs being written
//   ├── refs.json, refs.lock      name -> descriptor (image/refs)
//   ├── snapshots/<chainid>/      each layer unpacked once (image/snapshots)
//   ├── leases/<bundle-id>.json   what each bundle uses; prune keeps it
//   ├── rw/<bundle-id>/{upper,work}  a bundle's writable overlay layer
//   └── lock                      store lock: writers shared, prune exclusive
//
// Bundles: BUNDLE/rootfs is an overlay of the image's snapshots (or, where overlayfs is
// unusable, a copy with the layers applied in order), BUNDLE/config.json comes from
// make_runtime_config, BUNDLE/skiff-bundle.json names the lease. Nothing is tied to the
// process: a bundle outlives an agent restart and remove_bundle works from any process.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "image/bundle/bundle.h"
#include "image/refs/ref_store.h"
#include "image/registry/pull.h"
#include "image/snapshots/lease.h"
#include "image/snapshots/overlay.h"
#include "image/snapshots/snapshotter.h"
#include "image/store/content_store.h"
#include "image/store/oci_types.h"

namespace skiff::image {

struct ImagesOptions {
  // Unset: env SKIFF_SNAPSHOTTER ("overlay" or "copy") if set, else overlay when a probe
  // mount under ROOT works, else copy.
  std::optional<SnapshotMode> mode;
  OverlayApi overlay_api = OverlayApi::kAuto;
  // "os/arch[/variant]" used to pick a manifest from an index; empty: this host.
  std::string platform;
};

struct ResolvedImage {
  std::string name;   // as recorded
  Descriptor target;  // what the name points at (manifest or index)
  Descriptor manifest_desc;
  Manifest manifest;
  nlohmann::json config;  // the whole image config document
};

struct ImageSummary {
  std::string name;  // "sha256:<hex>" for an untagged import
  Digest manifest;
  Digest config;               // the image ID
  std::uint64_t size = 0;      // config + layers as stored (compressed)
  std::string created;         // from the config, else when the name was recorded
  std::size_t containers = 0;  // leases using this manifest
};

struct PruneReport {
  std::size_t blobs_removed = 0;
  std::uint64_t bytes_freed = 0;
  std::vector<Digest> snapshots_removed;
  std::size_t stale_dirs_removed = 0;  // rw dirs without a lease, scratch dirs
};

struct BundleInfo {
  std::string id;
  std::filesystem::path dir;
  SnapshotMode mode;
  Digest manifest;
  std::size_t layers_unpacked = 0;  // 0 when every snapshot existed already
};

// The canonical form of an image name ("busybox" -> "docker.io/library/busybox:latest").
std::string normalize_image_name(std::string_view text);

// Turns layer blobs into files. The default works in this process with libarchive
// (local_unpacker.cpp); skiff-agent passes one that runs a helper process instead, so the
// resident daemon never maps libarchive and its codecs.
class LayerUnpacker {
 public:
  virtual ~LayerUnpacker() = default;
  // Makes a snapshot for each of `missing` (overlay mode); the caller holds the store's
  // shared lock.
  virtual void make_snapshots(const ContentStore& store, const ResolvedImage& image,
                              const std::vector<LayerRef>& missing) = 0;
  // Applies `layers` in order onto the empty directory `rootfs` (copy mode).
  virtual void apply_layers(const ContentStore& store, const ResolvedImage& image,
                            const std::vector<LayerRef>& layers,
                            const std::filesystem::path& rootfs) = 0;
};

// This process's libarchive unpacker (what Images(root, opts) uses).
std::shared_ptr<LayerUnpacker> local_unpacker();

class Images {
 public:
  // Unpacks layers in this process (local_unpacker()).
  explicit Images(std::filesystem::path root = ContentStore::kDefaultRoot, ImagesOptions opts = {});
  Images(std::filesystem::path root, ImagesOptions opts, std::shared_ptr<LayerUnpacker> unpacker);

  const std::filesystem::path& root() const { return store_.root(); }
  ContentStore& store() { return store_; }
  SnapshotMode mode() const;

  // Records `name` (normalised) -> target, choosing the platform manifest now.
  ImageRecord tag(std::string_view name, const Descriptor& target);

  // pull_image (blobs), then records the reference; opts.platform empty = this service's.
  PullResult pull(std::string_view ref, PullOptions opts);

  // docker-archive or OCI-archive tar, or an OCI layout directory. Names come from
  // RepoTags / ref.name annotations (a bare tag "t" becomes localhost/<file name>:t);
  // an image without any is recorded by its manifest digest. Returns what was recorded.
  std::vector<ImageRecord> import(const std::filesystem::path& path);
  void export_layout(std::string_view ref, const std::filesystem::path& dir) const;

  // A name (normalised first), a recorded "sha256:<hex>", or a unique prefix (>= 4 hex) of
  // a manifest or config digest. Throws "image X: not found" otherwise.
  ResolvedImage resolve(std::string_view ref) const;
  std::vector<ImageSummary> list() const;
  nlohmann::json inspect(std::string_view ref) const;
  // Removes the name. Refused while a bundle uses the image unless `force`; with force
  // only the name goes: the bundle's lease still keeps its layers until remove_bundle.
  void remove(std::string_view ref, bool force = false);
  // Deletes blobs, snapshots and scratch directories that no name and no lease uses.
  PruneReport prune();

  // Makes the snapshots an image's layers still lack (overlay mode), or with `into`, applies
  // its layers in order onto that empty directory (as copy mode does). Returns how many
  // layers were unpacked.
  std::size_t unpack(std::string_view ref, const std::optional<std::filesystem::path>& into = {});

  BundleInfo create_bundle(std::string_view ref, const std::filesystem::path& bundle_dir,
                           const BundleOverrides& overrides, const std::string& bundle_id);
  // Unmounts BUNDLE/rootfs, deletes the bundle and its rw dir, drops the lease. A missing
  // or half-created bundle is fine; a rootfs that stays mounted is an error.
  void remove_bundle(const std::filesystem::path& bundle_dir);
  std::vector<Lease> bundles() const;

 private:
  std::string recorded_name(std::string_view ref) const;
  // The image's layers with their DiffIDs and ChainIDs; errors name the image and config.
  std::vector<LayerRef> layers_of(const ResolvedImage& img) const;
  // Has the unpacker make the snapshots `layers` lacks; returns how many it made.
  std::size_t make_missing_snapshots(const ResolvedImage& img, const std::vector<LayerRef>& layers);
  Descriptor choose_manifest(const Descriptor& target) const;

  ContentStore store_;
  ImagesOptions opts_;
  mutable std::optional<SnapshotMode> mode_;  // decided on first use
  RefStore refs_;
  LeaseStore leases_;
  std::shared_ptr<LayerUnpacker> unpacker_;
};

}  // namespace skiff::image
