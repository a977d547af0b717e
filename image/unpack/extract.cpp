#include "image/unpack/extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"
#include "image/unpack/archive_handle.h"
#include "image/unpack/beneath.h"
#include "image/unpack/entry_path.h"
#include "image/unpack/whiteouts.h"

namespace skiff::image {

namespace {

constexpr std::size_t kReadBlock = 64 * 1024;

std::string archive_message(struct archive* a) {
  const char* msg = archive_error_string(a);
  return msg != nullptr ? msg : "unknown libarchive error";
}

ArchiveReader open_layer(const std::filesystem::path& layer_file) {
  ArchiveReader in(archive_read_new());
  if (!in) throw Error("layer " + layer_file.string() + ": out of memory");
  // Any compression filter, but only tar formats: a layer is a tar by definition, and
  // every other format reader is attack surface we do not need.
  archive_read_support_filter_all(in.get());
  archive_read_support_format_tar(in.get());
  archive_read_support_format_gnutar(in.get());
  if (archive_read_open_filename(in.get(), layer_file.c_str(), kReadBlock) != ARCHIVE_OK)
    throw Error("layer " + layer_file.string() +
                ": not a readable tar layer: " + archive_message(in.get()));
  return in;
}

ArchiveWriter make_disk_writer(const UnpackOptions& opts) {
  ArchiveWriter out(archive_write_disk_new());
  if (!out) throw Error("out of memory creating the disk writer");
  // No ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS: we hand libarchive absolute paths below our
  // root, because relative ones would be resolved against the process-wide cwd, which a
  // library in a multithreaded agent must not chdir. Absolute entry names are refused by
  // normalize_entry_path before that, so the rule still holds.
  int flags = ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
              ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME;
  if (::geteuid() == 0) flags |= ARCHIVE_EXTRACT_OWNER;
  if (opts.xattrs) flags |= ARCHIVE_EXTRACT_XATTR;
  archive_write_disk_set_options(out.get(), flags);
  return out;
}

// A layer must not plant overlayfs metadata (opaque, redirect, metacopy): when it becomes
// a lower dir those would be obeyed by the kernel. We add only what whiteouts call for.
void drop_overlay_xattrs(struct archive_entry* entry) {
  if (archive_entry_xattr_reset(entry) == 0) return;
  std::vector<std::pair<std::string, std::string>> keep;
  bool dropped = false;
  const char* name = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  while (archive_entry_xattr_next(entry, &name, &value, &size) == ARCHIVE_OK) {
    std::string n = name != nullptr ? name : "";
    if (n.rfind("trusted.overlay.", 0) == 0) {
      dropped = true;
      continue;
    }
    keep.emplace_back(std::move(n), std::string(static_cast<const char*>(value), size));
  }
  if (!dropped) return;
  archive_entry_xattr_clear(entry);
  for (const auto& [n, v] : keep)
    archive_entry_xattr_add_entry(entry, n.c_str(), v.data(), v.size());
}

class LayerExtractor {
 public:
  LayerExtractor(const std::filesystem::path& root, const UnpackOptions& opts, bool overlay,
                 struct archive* in, struct archive* out)
      : root_(root), opts_(opts), overlay_(overlay), in_(in), out_(out) {
    root_fd_.reset(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root_fd_) throw_errno("open", root.string());
  }

  void entry(struct archive_entry* e) {
    if (++stats_.entries > opts_.max_entries)
      throw Error(fmt::format("entry count limit of {} (max_entries) exceeded", opts_.max_entries));
    std::string rel = normalize_entry_path(archive_entry_pathname(e));

    Whiteout w = classify_whiteout(rel);
    if (w.kind != Whiteout::Kind::none) {
      apply_whiteout(root_fd_.get(), w, overlay_, own_);
      if (w.kind != Whiteout::Kind::other_meta) ++stats_.whiteouts;
      return;
    }
    if (const char* link = archive_entry_hardlink(e)) {
      hardlink(rel, link);
      return;
    }
    auto type = archive_entry_filetype(e);
    if ((type == AE_IFCHR || type == AE_IFBLK) && !opts_.allow_devices) {
      ++stats_.skipped_devices;
      return;
    }
    // libarchive's SECURE_SYMLINKS guards this too; checking first gives an error that
    // names the symlink, and keeps us safe whatever the linked libarchive version does.
    open_dir_beneath(root_fd_.get(), parent_of(rel), false);
    if (type == AE_IFREG) check_bytes(archive_entry_size(e));
    drop_overlay_xattrs(e);

    std::string target = rel.empty() ? root_.string() : (root_ / rel).string();
    archive_entry_set_pathname(e, target.c_str());
    if (archive_write_header(out_, e) < ARCHIVE_WARN) throw Error(archive_message(out_));
    if (type == AE_IFREG) copy_data();
    if (archive_write_finish_entry(out_) < ARCHIVE_WARN) throw Error(archive_message(out_));
    own_.add(rel);
  }

  const UnpackStats& stats() const { return stats_; }

 private:
  void check_bytes(la_int64_t more) {
    if (more > 0 && stats_.bytes + static_cast<std::uint64_t>(more) > opts_.max_bytes)
      throw Error(fmt::format("size limit of {} bytes (max_bytes) exceeded", opts_.max_bytes));
  }

  void copy_data() {
    const void* buf = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    for (;;) {
      int r = archive_read_data_block(in_, &buf, &size, &offset);
      if (r == ARCHIVE_EOF) return;
      if (r < ARCHIVE_WARN) throw Error("read: " + archive_message(in_));
      // Counted again as data arrives: the header's size is only the layer's claim.
      check_bytes(static_cast<la_int64_t>(size));
      stats_.bytes += size;
      if (archive_write_data_block(out_, buf, size, offset) < ARCHIVE_WARN)
        throw Error("write: " + archive_message(out_));
    }
  }

  // Done here rather than by libarchive so that the target is looked up beneath root
  // with no symlink followed, and linkat never dereferences the target itself.
  void hardlink(const std::string& rel, const char* link) {
    std::string target;
    try {
      target = normalize_entry_path(link);
    } catch (const Error& err) {
      throw Error(fmt::format("hardlink target \"{}\": {}", link, err.what()));
    }
    if (rel.empty() || target.empty()) throw Error("hardlink to or as the layer root");
    UniqueFd from;
    try {
      from = open_dir_beneath(root_fd_.get(), parent_of(target), false);
    } catch (const Error& err) {
      throw Error(fmt::format("hardlink target \"{}\": {}", link, err.what()));
    }
    std::string from_name = basename_of(target);
    struct stat st {};
    if (!from || ::fstatat(from.get(), from_name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      throw Error(fmt::format("hardlink target \"{}\" is not in the layer", link));
    if (S_ISDIR(st.st_mode))
      throw Error(fmt::format("hardlink target \"{}\" is a directory", link));
    UniqueFd to = open_dir_beneath(root_fd_.get(), parent_of(rel), true);
    std::string to_name = basename_of(rel);
    // Tar semantics: a later entry replaces an earlier one of the same name.
    if (::unlinkat(to.get(), to_name.c_str(), 0) != 0 && errno != ENOENT)
      throw_errno("unlink", rel);
    if (::linkat(from.get(), from_name.c_str(), to.get(), to_name.c_str(), 0) != 0)
      throw_errno("link to " + target + " from", rel);
    own_.add(rel);
  }

  std::filesystem::path root_;
  const UnpackOptions& opts_;
  bool overlay_;
  struct archive* in_;
  struct archive* out_;
  UniqueFd root_fd_;
  LayerPaths own_;
  UnpackStats stats_;
};

}  // namespace

UnpackStats extract_layer(const std::filesystem::path& layer_file,
                          const std::filesystem::path& root, const UnpackOptions& opts,
                          bool overlay_whiteouts) {
  const std::string layer = layer_file.string();
  ArchiveReader in = open_layer(layer_file);
  ArchiveWriter out = make_disk_writer(opts);
  LayerExtractor x(root, opts, overlay_whiteouts, in.get(), out.get());
  for (;;) {
    struct archive_entry* e = nullptr;
    int r = archive_read_next_header(in.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN)
      throw Error(fmt::format("layer {}: after {} entries: {}", layer, x.stats().entries,
                              archive_message(in.get())));
    const char* raw = archive_entry_pathname(e);
    std::string shown = raw != nullptr ? raw : "(unnamed)";
    if (raw == nullptr) throw Error(fmt::format("layer {}: entry without a usable name", layer));
    try {
      x.entry(e);
    } catch (const Error& err) {
      throw Error(fmt::format("layer {}: entry \"{}\": {}", layer, shown, err.what()));
    }
  }
  // Directory permissions and times are applied at close (deferred so that read-only
  // directories can still be filled); a failure there is a failed unpack too.
  if (archive_write_close(out.get()) < ARCHIVE_WARN)
    throw Error(fmt::format("layer {}: finishing: {}", layer, archive_message(out.get())));
  return x.stats();
}

}  // namespace skiff::image
