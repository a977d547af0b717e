// A temporary directory shaped like cgroupfs, for unit tests that run without root.
// Files are plain files: tests seed what the kernel would show and read what we wrote.
#pragma once

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <utility>

#include "common/file_io.h"

namespace skiff::testing {

class FakeTree {
 public:
  FakeTree() {
    char tmpl[] = "/tmp/skiff-fake-cgroup-XXXXXX";
    root_ = ::mkdtemp(tmpl);
  }
  FakeTree(const FakeTree&) = delete;
  FakeTree& operator=(const FakeTree&) = delete;
  ~FakeTree() { std::filesystem::remove_all(root_); }

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path operator/(const std::string& rel) const { return root_ / rel; }

  // Creates `rel` (and its directory) with `content`.
  void seed(const std::string& rel, const std::string& content) const {
    auto p = root_ / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << content;
  }
  void seed_all(const std::string& dir,
                std::initializer_list<std::pair<const char*, const char*>> files) const {
    for (const auto& [name, content] : files) seed(dir.empty() ? name : dir + "/" + name, content);
  }
  std::string read(const std::string& rel) const { return trim(read_file(root_ / rel)); }

 private:
  std::filesystem::path root_;
};

}  // namespace skiff::testing
