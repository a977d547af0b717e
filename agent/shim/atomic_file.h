// Whole-file replacement that a crash never leaves half-written: temp file in the same
// directory, fsync, rename over the target, fsync the directory.
#pragma once

#include <string>
#include <string_view>

namespace skiff::agent {

// Throws SysError naming the file.
void write_file_atomic(const std::string& path, std::string_view content, int mode = 0600);

}  // namespace skiff::agent
