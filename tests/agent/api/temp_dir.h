#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>

namespace skiff::agent::test {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = "/tmp/skiff-api-XXXXXX";
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace skiff::agent::test
