// Images::prune: everything no name and no lease uses goes.
#include <fmt/format.h>

#include <set>
#include <system_error>

#include "common/error.h"
#include "image/service/images.h"
#include "image/snapshots/snapshotter.h"

namespace skiff::image {

namespace fs = std::filesystem;

namespace {

// Adds `d` and everything below it that the store holds to `keep`.
void closure(const ContentStore& store, const Descriptor& d, std::set<Digest>& keep) {
  if (!keep.insert(d.digest).second || !store.has(d.digest)) return;
  std::string where = d.digest.str();
  if (is_index_type(d.media_type)) {
    Index idx =
        parse_index(store.read_small(d.digest, kMaxManifestSize), "index " + where, d.media_type);
    for (const Descriptor& c : idx.manifests) closure(store, c, keep);
  } else if (is_manifest_type(d.media_type)) {
    Manifest m = parse_manifest(store.read_small(d.digest, kMaxManifestSize), "manifest " + where,
                                d.media_type);
    keep.insert(m.config.digest);
    for (const Descriptor& l : m.layers) keep.insert(l.digest);
  }
}

bool starts_with(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}

}  // namespace

PruneReport Images::prune() {
  StoreLock exclusive = store_.lock(StoreLock::Mode::kExclusive);
  std::set<Digest> keep_blobs;
  std::set<Digest> keep_snaps;
  std::set<std::string> leased;
  for (const Lease& l : leases_.list()) {
    keep_blobs.insert(l.blobs.begin(), l.blobs.end());
    keep_snaps.insert(l.snapshots.begin(), l.snapshots.end());
    leased.insert(l.id);
  }
  for (const ImageRecord& rec : refs_.list()) {
    try {
      closure(store_, rec.target, keep_blobs);
      if (!store_.has(rec.manifest)) continue;
      ResolvedImage img = resolve(rec.name);
      for (const LayerRef& l :
           layer_refs(img.manifest, img.config, "config " + img.manifest.config.digest.str()))
        keep_snaps.insert(l.chain_id);
    } catch (const Error& e) {
      // Deleting on a misread could take layers an image needs: stop instead.
      throw Error(fmt::format("prune: image \"{}\": {}", rec.name, e.what()));
    }
  }
  PruneReport report;
  Snapshotter snaps(store_);
  report.snapshots_removed = snaps.remove_except(keep_snaps);

  std::size_t before = store_.list().size();
  report.bytes_freed = store_.gc(keep_blobs, exclusive);
  report.blobs_removed = before - store_.list().size();

  // Writable layers without a lease, and scratch dirs of interrupted imports and probes.
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(store_.root() / "rw", ec)) {
    if (leased.count(e.path().filename().string()) != 0) continue;
    fs::remove_all(e.path(), ec);
    ++report.stale_dirs_removed;
  }
  for (const auto& e : fs::directory_iterator(store_.root(), ec)) {
    std::string name = e.path().filename().string();
    if (!starts_with(name, "import-") && !starts_with(name, ".overlay-probe-")) continue;
    // A probe interrupted between its mount and unmount: never delete below a mount.
    if (starts_with(name, ".overlay-probe-")) unmount_if_mounted(e.path() / "m");
    fs::remove_all(e.path(), ec);
    ++report.stale_dirs_removed;
  }
  return report;
}

}  // namespace skiff::image
