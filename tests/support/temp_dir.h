// The tests' one temporary directory: made with mkdtemp under $TMPDIR (or /tmp, or a given
// parent), removed with everything in it when the test ends. Tests that mount inside it
// unmount first: removal does not cross into mounts it did not make.
#pragma once

#include <stdlib.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace skiff::test {

class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "skiff-test",
                   const std::filesystem::path& parent = default_parent()) {
    std::string pattern = (parent / (std::string(prefix) + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
    }
    // Canonical, so that paths the code under test resolves compare equal.
    path_ = std::filesystem::canonical(pattern);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& rel) const { return path_ / rel; }

  // Writes `text` to path()/name.
  void write(const std::string& name, const std::string& text) const {
    std::ofstream out(path_ / name, std::ios::binary);
    out << text;
    if (!out.flush()) throw std::runtime_error("cannot write " + (path_ / name).string());
  }

  static std::filesystem::path default_parent() {
    const char* tmp = std::getenv("TMPDIR");
    return tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  }

 private:
  std::filesystem::path path_;
};

}  // namespace skiff::test
