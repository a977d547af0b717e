#include "image/unpack/unpack.h"

#include <fcntl.h>
#include <stdio.h>  // renameat2
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <system_error>
#include <vector>

#include "common/error.h"
#include "image/unpack/extract.h"

namespace skiff::image {

namespace fs = std::filesystem;

namespace {

// Absolute, symlink-free path for dest: extraction refuses to go through symlinks, so the
// prefix we hand libarchive must not contain any (e.g. a /tmp that is a link).
fs::path resolve_dest(const fs::path& dest) {
  fs::path d = fs::absolute(dest).lexically_normal();
  if (d.filename().empty()) d = d.parent_path();
  std::error_code ec;
  fs::path parent = fs::canonical(d.parent_path(), ec);
  if (ec) throw SysError("resolve parent of", d.string(), ec.value());
  return parent / d.filename();
}

// Removes the partial directory unless released: no half-unpacked tree outlives a throw.
class PartialDir {
 public:
  explicit PartialDir(const fs::path& dest) {
    std::string tmpl = dest.string() + ".partial-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) == nullptr) throw_errno("mkdtemp", tmpl);
    path_ = buf.data();
    // mkdtemp makes it 0700; a rootfs is normally 0755 unless the layer's "./" says else.
    ::chmod(path_.c_str(), 0755);
  }
  PartialDir(const PartialDir&) = delete;
  PartialDir& operator=(const PartialDir&) = delete;
  ~PartialDir() {
    if (path_.empty()) return;
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  void release() { path_.clear(); }

 private:
  fs::path path_;
};

}  // namespace

UnpackStats unpack_layer(const fs::path& layer_file, const fs::path& dest,
                         const UnpackOptions& opts) {
  fs::path target = resolve_dest(dest);
  struct stat st {};
  if (::lstat(target.c_str(), &st) == 0)
    throw Error("unpack layer " + layer_file.string() + ": destination " + target.string() +
                " already exists");
  PartialDir partial(target);
  UnpackStats stats = extract_layer(layer_file, partial.path(), opts, opts.overlay_whiteouts);
  // NOREPLACE: a dest that appeared meanwhile is never clobbered or merged into.
  if (::renameat2(AT_FDCWD, partial.path().c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) !=
      0)
    throw_errno("rename " + partial.path().string() + " to", target.string());
  partial.release();
  return stats;
}

UnpackStats apply_layer_copy(const fs::path& layer_file, const fs::path& dest,
                             const UnpackOptions& opts) {
  std::error_code ec;
  fs::path root = fs::canonical(dest, ec);
  if (ec) throw SysError("resolve", dest.string(), ec.value());
  return extract_layer(layer_file, root, opts, false);
}

}  // namespace skiff::image
