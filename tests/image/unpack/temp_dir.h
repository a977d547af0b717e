// A scratch directory per test, removed afterwards.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

#include "tests/support/temp_dir.h"

namespace skiff::image::test {
using skiff::test::TempDir;

// Only dest's own name: nothing else (no partial dir) may be left beside it.
inline bool only_entry_is(const std::filesystem::path& dir, const std::string& name) {
  int n = 0;
  bool found = false;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    ++n;
    if (e.path().filename() == name) found = true;
  }
  return n == 1 && found;
}

}  // namespace skiff::image::test
