// A private temporary directory, removed with everything in it when the test ends.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "common/file_io.h"

namespace skiff::testing {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/skiff-image-store-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& rel) const { return path_ / rel; }

 private:
  std::filesystem::path path_;
};

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
