// Helpers shared by the libFuzzer harnesses (docs/fuzzing.md).
//
// The rule every harness checks: a parser of outside input may reject it only with
// skiff::Error (or a subclass). Any other exception escapes LLVMFuzzerTestOneInput, reaches
// std::terminate and is reported as a crash, like a sanitizer finding.
#pragma once

#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

#include "common/error.h"

namespace skiff::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// A private directory for the whole run, on tmpfs when there is one (inputs that go
// through files are written once per execution). Removed at normal exit.
class ScratchDir {
 public:
  ScratchDir() {
    std::filesystem::path base = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    if (const char* t = std::getenv("SKIFF_FUZZ_TMPDIR"); t != nullptr && *t != '\0') base = t;
    std::string tmpl = (base / "skiff-fuzz-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw SysError("mkdtemp", tmpl, errno);
    path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline const ScratchDir& scratch() {
  static ScratchDir dir;
  return dir;
}

// Replaces `file` with exactly `data` (created if missing).
inline void write_input(const std::filesystem::path& file, std::string_view data) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  out.close();
  if (!out) throw Error("cannot write fuzz input to " + file.string());
}

}  // namespace skiff::fuzz
