// A content-addressed blob store on the local disk.
//
//   ROOT/blobs/sha256/<hex>   immutable blobs, visible only once their digest matched
//   ROOT/ingest/<random>      blobs being written; anything here after a crash is garbage
//   ROOT/lock                 StoreLock (see store_lock.h)
//
// Blob paths are derived only from a parsed Digest, never from raw strings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "image/store/blob_writer.h"
#include "image/store/digest.h"
#include "image/store/store_lock.h"

namespace skiff::image {

class ContentStore {
 public:
  static constexpr const char* kDefaultRoot = "/var/lib/skiff/images";

  // Creates the layout under `root` if it is missing.
  explicit ContentStore(std::filesystem::path root = kDefaultRoot);

  const std::filesystem::path& root() const noexcept { return root_; }
  std::filesystem::path blobs_dir() const { return root_ / "blobs" / "sha256"; }
  std::filesystem::path ingest_dir() const { return root_ / "ingest"; }
  std::filesystem::path lock_file() const { return root_ / "lock"; }

  bool has(const Digest& digest) const;
  std::filesystem::path path(const Digest& digest) const;
  // Size of a stored blob; throws if it is absent.
  std::uint64_t size(const Digest& digest) const;
  // Whole blob in memory, for manifests and configs. Refuses blobs above `max` bytes so a
  // hostile descriptor cannot make us allocate gigabytes.
  std::string read_small(const Digest& digest, std::size_t max) const;
  // Every blob currently visible, in digest order.
  std::vector<Digest> list() const;

  // Starts writing a blob that must hash to `expected` (and be `expected_size` bytes if
  // given). If the blob is already present the writer is a no-op that commits at once.
  BlobWriter begin_write(const Digest& expected,
                         std::optional<std::uint64_t> expected_size = std::nullopt);

  StoreLock lock(StoreLock::Mode mode) const { return StoreLock(lock_file(), mode); }

  // Under an exclusive lock: deletes every blob not in `keep` and every ingest file (no
  // writer can be active then). Returns the bytes freed.
  std::uint64_t gc(const std::set<Digest>& keep);
  // The same for a caller that already holds `exclusive` (an exclusive lock() of this
  // store), so it can compute `keep` under the same lock as the deletion.
  std::uint64_t gc(const std::set<Digest>& keep, const StoreLock& exclusive);

 private:
  std::filesystem::path root_;
};

}  // namespace skiff::image
