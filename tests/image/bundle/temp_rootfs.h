// A throwaway rootfs with hand-written /etc/passwd and /etc/group.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace skiff::image::test {

class TempRootfs {
 public:
  TempRootfs() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "skiff-bundle-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    std::filesystem::create_directories(path() / "etc");
  }
  ~TempRootfs() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  TempRootfs(const TempRootfs&) = delete;
  TempRootfs& operator=(const TempRootfs&) = delete;

  std::filesystem::path path() const { return dir_ / "rootfs"; }
  std::filesystem::path bundle() const { return dir_; }

  void write(const std::string& rel, const std::string& text) const {
    std::ofstream(path() / rel) << text;
  }
  // busybox-like accounts: root, daemon, bob (1000, in wheel and audio), the groups.
  void write_accounts() const {
    write("etc/passwd",
          "root:x:0:0:root:/root:/bin/sh\n"
          "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
          "bob:x:1000:1000:Bob:/home/bob:/bin/sh\n");
    write("etc/group",
          "root:x:0:\n"
          "daemon:x:1:\n"
          "wheel:x:10:root,bob\n"
          "audio:x:29:bob\n"
          "bob:x:1000:\n"
          "staff:x:50:\n");
  }

 private:
  std::filesystem::path dir_;
};

}  // namespace skiff::image::test
