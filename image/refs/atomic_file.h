// Small state files written so a reader (or a crash) never sees them torn: temp file in
// the same directory, fsync, rename, fsync of the directory.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "common/unique_fd.h"

namespace skiff::image {

// `durable` = false skips both fsyncs: still never torn for readers, but may be lost in a
// crash (fine for files that a crash makes moot anyway, like a bundle's config.json).
void write_file_atomically(const std::filesystem::path& path, std::string_view content,
                           bool durable = true);
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
