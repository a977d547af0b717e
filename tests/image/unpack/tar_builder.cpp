#include "tar_builder.h"

#include <archive_entry.h>
#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace skiff::image::test {

namespace {
struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using Entry = std::unique_ptr<archive_entry, EntryFree>;

Entry make(const std::string& name, unsigned type, int mode, std::int64_t size) {
  Entry e(archive_entry_new());
  archive_entry_set_pathname(e.get(), name.c_str());
  archive_entry_set_filetype(e.get(), type);
  archive_entry_set_perm(e.get(), static_cast<mode_t>(mode));
  archive_entry_set_size(e.get(), size);
  archive_entry_set_mtime(e.get(), 1700000000, 0);
  return e;
}
}  // namespace

TarBuilder::TarBuilder(const std::filesystem::path& file, Compression c) : a_(archive_write_new()) {
  archive_write_set_format_pax_restricted(a_);
  int r = ARCHIVE_OK;
  if (c == Compression::gzip) r = archive_write_add_filter_gzip(a_);
  if (c == Compression::zstd) r = archive_write_add_filter_zstd(a_);
  if (r != ARCHIVE_OK) throw std::runtime_error("compression unavailable");
  if (archive_write_open_filename(a_, file.c_str()) != ARCHIVE_OK)
    throw std::runtime_error(archive_error_string(a_));
}

TarBuilder::~TarBuilder() {
  archive_write_free(a_);
}

TarBuilder& TarBuilder::dir(const std::string& name, int mode) {
  archive_write_header(a_, make(name, AE_IFDIR, mode, 0).get());
  return *this;
}

TarBuilder& TarBuilder::file(const std::string& name, const std::string& content, int mode) {
  archive_write_header(a_,
                       make(name, AE_IFREG, mode, static_cast<std::int64_t>(content.size())).get());
  archive_write_data(a_, content.data(), content.size());
  return *this;
}

TarBuilder& TarBuilder::zeros(const std::string& name, std::uint64_t size) {
  archive_write_header(a_, make(name, AE_IFREG, 0644, static_cast<std::int64_t>(size)).get());
  std::vector<char> chunk(1 << 20, 0);
  for (std::uint64_t left = size; left > 0;) {
    std::size_t n = left < chunk.size() ? static_cast<std::size_t>(left) : chunk.size();
    archive_write_data(a_, chunk.data(), n);
    left -= n;
  }
  return *this;
}

TarBuilder& TarBuilder::symlink(const std::string& name, const std::string& target) {
  Entry e = make(name, AE_IFLNK, 0777, 0);
  archive_entry_set_symlink(e.get(), target.c_str());
  archive_write_header(a_, e.get());
  return *this;
}

TarBuilder& TarBuilder::hardlink(const std::string& name, const std::string& target) {
  Entry e = make(name, AE_IFREG, 0644, 0);
  archive_entry_set_hardlink(e.get(), target.c_str());
  archive_write_header(a_, e.get());
  return *this;
}

TarBuilder& TarBuilder::chardev(const std::string& name, unsigned major, unsigned minor) {
  Entry e = make(name, AE_IFCHR, 0666, 0);
  archive_entry_set_rdevmajor(e.get(), major);
  archive_entry_set_rdevminor(e.get(), minor);
  archive_write_header(a_, e.get());
  return *this;
}

TarBuilder& TarBuilder::fifo(const std::string& name) {
  archive_write_header(a_, make(name, AE_IFIFO, 0644, 0).get());
  return *this;
}

void TarBuilder::finish() {
  if (archive_write_close(a_) != ARCHIVE_OK) throw std::runtime_error(archive_error_string(a_));
}

bool TarBuilder::zstd_supported() {
  struct archive* a = archive_write_new();
  bool ok = archive_write_add_filter_zstd(a) == ARCHIVE_OK;
  archive_write_free(a);
  return ok;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::filesystem::path& p, const std::string& content) {
  std::ofstream out(p, std::ios::binary);
  out << content;
}

}  // namespace skiff::image::test
