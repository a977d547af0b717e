// An exclusive per-digest lock (ROOT/ingest/<hex>.lock), so two processes pulling the
// same blob into one store download it once: the second waits, then finds it present.
// The lock file is removed on release; a waiter that locked a file already unlinked
// notices (inode changed) and locks the new one, so removal never lets two in at once.
// Callers hold the store's shared StoreLock meanwhile, so gc cannot remove it underneath.
#pragma once

#include <filesystem>

#include "common/unique_fd.h"
#include "image/store/content_store.h"

namespace skiff::image {

class DigestLock {
 public:
  DigestLock(const ContentStore& store, const Digest& digest);
  ~DigestLock();
  DigestLock(const DigestLock&) = delete;
  DigestLock& operator=(const DigestLock&) = delete;

 private:
  std::filesystem::path path_;
  UniqueFd fd_;
};

}  // namespace skiff::image
