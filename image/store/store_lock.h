// flock(2) on ROOT/lock, so processes sharing one content store do not trip each other.
//
// Writers (BlobWriter, an import) hold the lock shared: any number may stream at once,
// and same-digest races are harmless because blobs are published by atomic rename.
// gc holds it exclusive, so it never sees a half-written ingest file or deletes a blob an
// import has committed but not yet recorded. flock locks belong to the open file, so a
// process that holds a shared StoreLock and then calls gc() waits for itself: release
// writers before collecting.
#pragma once

#include <filesystem>

#include "common/unique_fd.h"

namespace skiff::image {

class StoreLock {
 public:
  enum class Mode { kShared, kExclusive };

  // Blocks until the lock is granted. Creates the lock file if it is missing.
  StoreLock(const std::filesystem::path& lock_file, Mode mode);
  StoreLock(StoreLock&&) noexcept = default;
  StoreLock& operator=(StoreLock&&) noexcept = default;

  Mode mode() const noexcept { return mode_; }

 private:
  UniqueFd fd_;
  Mode mode_;
};

}  // namespace skiff::image
