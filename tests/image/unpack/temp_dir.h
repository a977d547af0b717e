// A scratch directory per test, removed afterwards.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace skiff::image::test {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "skiff-unpack-XXXXXX").string();
    path_ = std::filesystem::canonical(::mkdtemp(tmpl.data()));
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

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
