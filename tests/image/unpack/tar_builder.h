// Writes tar layers for tests, including ones no honest tool would produce.
#pragma once

#include <archive.h>

#include <cstdint>
#include <filesystem>
#include <string>

namespace skiff::image::test {

enum class Compression { none, gzip, zstd };

class TarBuilder {
 public:
  // Throws std::runtime_error if the compression is unavailable (check zstd_supported()).
  TarBuilder(const std::filesystem::path& file, Compression c = Compression::none);
  ~TarBuilder();
  TarBuilder(const TarBuilder&) = delete;
  TarBuilder& operator=(const TarBuilder&) = delete;

  TarBuilder& dir(const std::string& name, int mode = 0755);
  TarBuilder& file(const std::string& name, const std::string& content, int mode = 0644);
  // A file of `size` zero bytes, streamed in chunks (for bombs).
  TarBuilder& zeros(const std::string& name, std::uint64_t size);
  TarBuilder& symlink(const std::string& name, const std::string& target);
  TarBuilder& hardlink(const std::string& name, const std::string& target);
  TarBuilder& chardev(const std::string& name, unsigned major, unsigned minor);
  TarBuilder& fifo(const std::string& name);
  void finish();

  static bool zstd_supported();

 private:
  struct archive* a_ = nullptr;
};

std::string read_file(const std::filesystem::path& p);
void write_file(const std::filesystem::path& p, const std::string& content);

}  // namespace skiff::image::test
