// Safe unpacking of one OCI image layer (a tar, optionally gzip- or zstd-compressed).
//
// A layer is untrusted input: entry names, link targets, device nodes and sizes are all
// checked before anything reaches the disk, and every error names the layer file, the
// entry and the rule it broke.
#pragma once

#include <cstdint>
#include <filesystem>

namespace skiff::image {

struct UnpackOptions {
  // Keep char/block device entries (needs CAP_MKNOD). Off by default: a layer has no
  // business creating devices on the host, so they are skipped and counted.
  bool allow_devices = false;
  // Turn OCI whiteouts into overlayfs ones (0:0 char devices, trusted.overlay.opaque):
  // the layer is then meant to be a lower dir of an overlay mount. Needs root. Otherwise
  // whiteouts delete from the directory being extracted into (copy mode).
  bool overlay_whiteouts = false;
  // Restore extended attributes carried by entries (never trusted.overlay.*).
  bool xattrs = true;
  // Decompression-bomb caps: total uncompressed file bytes and number of entries.
  std::uint64_t max_bytes = std::uint64_t{8} << 30;
  std::uint64_t max_entries = 1'000'000;
};

struct UnpackStats {
  std::uint64_t entries = 0;  // tar headers read, including skipped ones and whiteouts
  std::uint64_t bytes = 0;    // file data written
  std::uint64_t skipped_devices = 0;
  std::uint64_t whiteouts = 0;  // .wh.NAME and opaque markers applied
};

// Unpacks `layer_file` into a new directory `dest`, which must NOT exist (its parent
// must). Extraction goes to a sibling "<dest>.partial-XXXXXX" that is renamed into place
// only on success and removed on failure, so dest either appears complete or not at all.
UnpackStats unpack_layer(const std::filesystem::path& layer_file, const std::filesystem::path& dest,
                         const UnpackOptions& opts = {});

// Applies `layer_file` on top of an existing directory in copy mode (whiteouts delete
// from `dest`), for flattening a stack of layers into one rootfs. opts.overlay_whiteouts
// is ignored. Not atomic: on error `dest` is partly modified and the caller must discard
// it (it is a scratch rootfs being built, never a live one).
UnpackStats apply_layer_copy(const std::filesystem::path& layer_file,
                             const std::filesystem::path& dest, const UnpackOptions& opts = {});

}  // namespace skiff::image
