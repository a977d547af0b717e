#include "image/unpack/whiteouts.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <cerrno>
#include <vector>

#include "common/error.h"
#include "image/unpack/beneath.h"

namespace skiff::image {

namespace {

std::string join(const std::string& dir, const std::string& name) {
  return dir.empty() ? name : dir + "/" + name;
}

std::vector<std::string> list_dir(int dir_fd, const std::string& shown) {
  int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw_errno("open", shown);
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    ::close(fd);
    throw_errno("opendir", shown);
  }
  std::vector<std::string> names;
  while (dirent* ent = ::readdir(dir)) {
    std::string n = ent->d_name;
    if (n != "." && n != "..") names.push_back(std::move(n));
  }
  ::closedir(dir);
  return names;
}

// Deletes everything under `rel` that this layer did not write, descending into the
// directories it did write, since they may have been merged with a lower directory.
void clear_lower(int root_fd, const std::string& rel, const LayerPaths& own) {
  UniqueFd dir = open_dir_beneath(root_fd, rel, false);
  if (!dir) return;
  for (const auto& name : list_dir(dir.get(), rel.empty() ? "." : rel)) {
    std::string child = join(rel, name);
    if (!own.contains(child)) {
      remove_tree_at(dir.get(), name, child);
      continue;
    }
    struct stat st {};
    if (::fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
      clear_lower(root_fd, child, own);
  }
}

}  // namespace

void LayerPaths::add(const std::string& rel) {
  std::string p = rel;
  while (!p.empty() && paths_.insert(p).second) p = parent_of(p);
}

void apply_whiteout(int root_fd, const Whiteout& w, bool overlay, const LayerPaths& own) {
  if (w.kind == Whiteout::Kind::other_meta) return;
  if (overlay) {
    UniqueFd dir = open_dir_beneath(root_fd, w.dir, true);
    if (w.kind == Whiteout::Kind::opaque) {
      if (::fsetxattr(dir.get(), "trusted.overlay.opaque", "y", 1, 0) != 0)
        throw_errno("set trusted.overlay.opaque on", w.dir.empty() ? "." : w.dir);
    } else if (::mknodat(dir.get(), w.name.c_str(), S_IFCHR | 0, ::makedev(0, 0)) != 0) {
      throw_errno("mknod whiteout", join(w.dir, w.name));
    }
    return;
  }
  if (w.kind == Whiteout::Kind::opaque) {
    clear_lower(root_fd, w.dir, own);
    return;
  }
  std::string target = join(w.dir, w.name);
  if (own.contains(target)) return;
  UniqueFd dir = open_dir_beneath(root_fd, w.dir, false);
  if (dir) remove_tree_at(dir.get(), w.name, target);
}

}  // namespace skiff::image
