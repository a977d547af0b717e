// Crash-safe file replacement: readers see the old content or the new, never a mix.
//
// The data goes to a temporary file in the same directory, which is fsync'd and renamed
// over the target; the directory is fsync'd too so the rename survives a power cut. On any
// failure (ENOSPC included) the temporary file is removed and the old file stays intact.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string_view>

namespace skiff {

// The one writer of whole files in the tree. `durable` = false skips both fsyncs: still
// atomic for readers, but a power cut may bring back the old content (for files that are
// rewritten from memory anyway). On tmpfs nothing outlives a power cut, so the fsyncs are
// skipped there too. Throws SysError naming the file; the old file is then intact.
void write_file_atomic(const std::filesystem::path& path, std::string_view data, mode_t mode = 0644,
                       bool durable = true);

}  // namespace skiff
