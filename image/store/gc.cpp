// ContentStore::gc: drops unreferenced blobs and leftovers of interrupted writes.
#include <fmt/format.h>

#include <system_error>

#include "common/error.h"
#include "image/store/content_store.h"

namespace skiff::image {

namespace fs = std::filesystem;

namespace {

// Removes one regular file and returns its size; 0 if it vanished or is not a file.
std::uint64_t remove_file(const fs::directory_entry& entry) {
  std::error_code ec;
  if (!entry.is_regular_file(ec)) return 0;
  std::uint64_t bytes = entry.file_size(ec);
  if (ec) bytes = 0;
  if (!fs::remove(entry.path(), ec) && ec) {
    throw SysError("remove", entry.path().string(), ec.value());
  }
  return bytes;
}

}  // namespace

std::uint64_t ContentStore::gc(const std::set<Digest>& keep) {
  StoreLock exclusive = lock(StoreLock::Mode::kExclusive);
  return gc(keep, exclusive);
}

std::uint64_t ContentStore::gc(const std::set<Digest>& keep, const StoreLock& exclusive) {
  if (exclusive.mode() != StoreLock::Mode::kExclusive) {
    throw Error("gc of " + root_.string() + ": needs the store's exclusive lock");
  }
  std::uint64_t freed = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(blobs_dir(), ec)) {
    std::string name = "sha256:" + entry.path().filename().string();
    // Names that are not digests were not put there by us; leave them for a human.
    if (!Digest::problem(name).empty()) continue;
    if (keep.count(Digest::parse(name)) == 0) freed += remove_file(entry);
  }
  if (ec) throw SysError("list", blobs_dir().string(), ec.value());
  // With the lock exclusive no writer is active, so every ingest file is stale.
  for (const auto& entry : fs::directory_iterator(ingest_dir(), ec)) freed += remove_file(entry);
  if (ec) throw SysError("list", ingest_dir().string(), ec.value());
  return freed;
}

}  // namespace skiff::image
