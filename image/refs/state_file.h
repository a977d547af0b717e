// Small state files: bounded reads and a lock for read-modify-write. They are written with
// common/atomic_file.h, so a reader (or a crash) never sees them torn.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "common/unique_fd.h"

namespace skiff::image {

// The whole file, or nullopt if it does not exist. Refuses files above `max` bytes.
std::optional<std::string> read_state_file(const std::filesystem::path& path, std::size_t max);

// flock(LOCK_EX) on `lock_file` (created if missing) for one read-modify-write.
class FileLock {
 public:
  explicit FileLock(const std::filesystem::path& lock_file);

 private:
  UniqueFd fd_;
};

}  // namespace skiff::image
