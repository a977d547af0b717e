// A private temporary directory, removed with everything in it when the test ends.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "common/file_io.h"
#include "tests/support/temp_dir.h"

namespace skiff::testing {
using skiff::test::TempDir;

inline void write_text(const std::filesystem::path& p, const std::string& content) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary | std::ios::trunc) << content;
}

inline std::string read_text(const std::filesystem::path& p) {
  return skiff::read_file(p);
}

inline bool dir_empty(const std::filesystem::path& p) {
  return std::filesystem::is_empty(p);
}

}  // namespace skiff::testing
