// Images::create_bundle / remove_bundle: a runnable OCI bundle from an image.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <system_error>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/file_io.h"
#include "common/mountinfo.h"
#include "image/refs/state_file.h"
#include "image/service/images.h"
#include "image/snapshots/snapshotter.h"

namespace skiff::image {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kMarker = "skiff-bundle.json";

void make_dir(const fs::path& p) {
  if (::mkdir(p.c_str(), 0755) != 0 && errno != EEXIST) throw_errno("create directory", p.string());
}

// Undoes a half-made bundle in reverse order unless commit()ed.
class BundleRollback {
 public:
  BundleRollback(LeaseStore& leases, std::string id, fs::path dir, bool created_dir)
      : leases_(leases), id_(std::move(id)), dir_(std::move(dir)), created_dir_(created_dir) {}
  BundleRollback(const BundleRollback&) = delete;
  BundleRollback& operator=(const BundleRollback&) = delete;
  ~BundleRollback() {
    if (done_) return;
    std::error_code ec;
    try {
      unmount_if_mounted(dir_ / "rootfs");
    } catch (...) {
      return;  // never delete below a mount we could not undo; keep the lease too
    }
    if (created_dir_) {
      fs::remove_all(dir_, ec);
    } else {
      for (const char* name : {"rootfs", "config.json", kMarker}) fs::remove_all(dir_ / name, ec);
    }
    fs::remove_all(leases_.rw_dir(id_), ec);
    if (lease_written_) {
      try {
        leases_.remove(id_);
      } catch (...) {
        // A stale lease only keeps layers longer; prune reports nothing wrong.
      }
    }
  }
  void lease_written() { lease_written_ = true; }
  void commit() { done_ = true; }

 private:
  LeaseStore& leases_;
  std::string id_;
  fs::path dir_;
  bool created_dir_;
  bool lease_written_ = false;
  bool done_ = false;
};

// Mount points at or below `dir`, from /proc/self/mountinfo.
std::vector<std::string> mounts_below(const fs::path& dir) {
  std::string prefix = dir.string();
  std::vector<std::string> out;
  for (const MountInfo& m : parse_mountinfo_text(read_file("/proc/self/mountinfo"))) {
    if (m.mount_point == prefix || m.mount_point.rfind(prefix + "/", 0) == 0)
      out.push_back(m.mount_point);
  }
  return out;
}

}  // namespace

BundleInfo Images::create_bundle(std::string_view ref, const fs::path& bundle_dir_in,
                                 const BundleOverrides& overrides, const std::string& bundle_id) {
  check_bundle_id(bundle_id);
  fs::path bundle_dir = fs::absolute(bundle_dir_in).lexically_normal();
  if (bundle_dir.filename().empty()) bundle_dir = bundle_dir.parent_path();
  if (std::optional<Lease> l = leases_.get(bundle_id)) {
    throw Error(
        fmt::format("bundle id \"{}\": already used by {}", bundle_id, l->bundle_dir.string()));
  }
  std::error_code ec;
  bool created_dir = false;
  if (fs::exists(fs::symlink_status(bundle_dir))) {
    if (!fs::is_directory(fs::symlink_status(bundle_dir)) || !fs::is_empty(bundle_dir, ec)) {
      throw Error(
          fmt::format("bundle {}: exists and is not an empty directory", bundle_dir.string()));
    }
  } else {
    fs::create_directories(bundle_dir.parent_path(), ec);
    make_dir(bundle_dir);
    created_dir = true;
  }
  BundleRollback rollback(leases_, bundle_id, bundle_dir, created_dir);

  // Shared until the lease is on disk: prune cannot take the layers in between.
  StoreLock shared = store_.lock(StoreLock::Mode::kShared);
  ResolvedImage img = resolve(ref);
  std::vector<LayerRef> layers = layers_of(img);
  SnapshotMode m = mode();

  Lease lease{.id = bundle_id,
              .bundle_dir = bundle_dir,
              .image = img.name,
              .manifest = img.manifest_desc.digest,
              .mode = m,
              .blobs = {img.manifest_desc.digest, img.manifest.config.digest},
              .snapshots = {},
              .created = now_rfc3339()};
  for (const LayerRef& l : layers) {
    lease.blobs.push_back(l.blob.digest);
    if (m == SnapshotMode::kOverlay) lease.snapshots.push_back(l.chain_id);
  }
  leases_.put(lease);
  rollback.lease_written();
  write_file_atomic(bundle_dir / kMarker,
                    json{{"id", bundle_id}, {"root", store_.root().string()}}.dump() + "\n", 0644,
                    /*durable=*/false);

  BundleInfo info{bundle_id, bundle_dir, m, img.manifest_desc.digest, 0};
  fs::path rootfs = bundle_dir / "rootfs";
  if (m == SnapshotMode::kOverlay) {
    info.layers_unpacked = make_missing_snapshots(img, layers);
    std::vector<fs::path> lowers = Snapshotter(store_).paths(layers);
    fs::path rw = leases_.rw_dir(bundle_id);
    fs::create_directories(rw, ec);
    if (ec) throw SysError("create directory", rw.string(), ec.value());
    make_dir(rw / "upper");
    make_dir(rw / "work");
    make_dir(rootfs);
    if (lowers.empty()) {
      // An image without layers: an empty upper over an empty lower is still an overlay.
      lowers.push_back(rw / "empty");
      make_dir(lowers.back());
    }
    mount_overlay(lowers, rw / "upper", rw / "work", rootfs, opts_.overlay_api);
  } else {
    make_dir(rootfs);
    unpacker_->apply_layers(store_, img, layers, rootfs);
    info.layers_unpacked = layers.size();
  }
  json runtime = make_runtime_config(img.config.value("config", json::object()), overrides, rootfs);
  // Not fsync'd: after a crash the mount is gone and the bundle is made again; the lease
  // (durable) is what protects the layers meanwhile.
  write_file_atomic(bundle_dir / "config.json", runtime.dump(2) + "\n", 0644,
                    /*durable=*/false);
  rollback.commit();
  return info;
}

void Images::remove_bundle(const fs::path& bundle_dir_in) {
  fs::path bundle_dir = fs::absolute(bundle_dir_in).lexically_normal();
  if (bundle_dir.filename().empty()) bundle_dir = bundle_dir.parent_path();
  if (!fs::exists(fs::symlink_status(bundle_dir))) {
    // Already gone; a lease that still names it is dropped below by id if we can find it.
    for (const Lease& l : leases_.list()) {
      if (l.bundle_dir == bundle_dir) {
        std::error_code ec;
        fs::remove_all(leases_.rw_dir(l.id), ec);
        leases_.remove(l.id);
      }
    }
    return;
  }
  fs::path marker = bundle_dir / kMarker;
  std::optional<std::string> text = read_state_file(marker, 64 * 1024);
  json doc = text ? json::parse(*text, nullptr, false) : json();
  if (!doc.is_object() || !doc.contains("id") || !doc["id"].is_string()) {
    throw Error(fmt::format("{}: missing or damaged: {} is not a bundle made by create_bundle",
                            marker.string(), bundle_dir.string()));
  }
  std::string id = doc["id"].get<std::string>();
  check_bundle_id(id);
  unmount_if_mounted(bundle_dir / "rootfs");
  if (std::vector<std::string> left = mounts_below(bundle_dir); !left.empty()) {
    throw Error(fmt::format("bundle {}: {} is still mounted; not deleting", bundle_dir.string(),
                            left.front()));
  }
  std::error_code ec;
  fs::remove_all(bundle_dir, ec);
  if (ec) throw SysError("remove bundle", bundle_dir.string(), ec.value());
  fs::remove_all(leases_.rw_dir(id), ec);
  if (ec) throw SysError("remove", leases_.rw_dir(id).string(), ec.value());
  // Last: until here the layers under the (former) mount stay protected.
  leases_.remove(id);
}

}  // namespace skiff::image
