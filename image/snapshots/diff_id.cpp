// DiffID checks decompress the layer (libarchive); apart from chain_id.cpp so that a
// program that only names layers does not link libarchive.
#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>

#include "common/error.h"
#include "image/snapshots/chain_id.h"
#include "image/unpack/archive_handle.h"

namespace skiff::image {

Digest uncompressed_digest(const std::filesystem::path& blob) {
  ArchiveReader a(archive_read_new());
  if (!a) throw Error("archive_read_new: out of memory");
  archive_read_support_filter_all(a.get());
  archive_read_support_format_raw(a.get());
  if (archive_read_open_filename(a.get(), blob.c_str(), 1 << 20) != ARCHIVE_OK) {
    throw Error(fmt::format("open layer {}: {}", blob.string(), archive_error_string(a.get())));
  }
  Sha256 hash;
  struct archive_entry* entry = nullptr;
  int r = archive_read_next_header(a.get(), &entry);
  if (r == ARCHIVE_EOF) return hash.finish();  // an empty blob
  if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
    throw Error(fmt::format("read layer {}: {}", blob.string(), archive_error_string(a.get())));
  }
  const void* buf = nullptr;
  size_t len = 0;
  la_int64_t off = 0;
  while ((r = archive_read_data_block(a.get(), &buf, &len, &off)) == ARCHIVE_OK) {
    hash.update(buf, len);
  }
  if (r != ARCHIVE_EOF) {
    throw Error(
        fmt::format("decompress layer {}: {}", blob.string(), archive_error_string(a.get())));
  }
  return hash.finish();
}

void verify_diff_id(const std::filesystem::path& blob, const Digest& blob_digest,
                    const Digest& diff_id) {
  if (blob_digest == diff_id) return;
  Digest got = uncompressed_digest(blob);
  if (got != diff_id) {
    throw Error(
        fmt::format("layer {}: uncompressed content is {}, but the image config's "
                    "rootfs.diff_ids says {}",
                    blob_digest.str(), got.str(), diff_id.str()));
  }
}

}  // namespace skiff::image
