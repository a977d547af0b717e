#include "image/unpack/beneath.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <vector>

#include "common/error.h"

namespace skiff::image {

namespace {
constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

// Explains why openat(O_DIRECTORY|O_NOFOLLOW) refused an existing component.
[[noreturn]] void refuse(int parent, const std::string& comp, const std::string& sofar) {
  struct stat st {};
  if (::fstatat(parent, comp.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
    throw Error("path goes through symlink \"" + sofar + "\"");
  throw Error("\"" + sofar + "\" is not a directory");
}
}  // namespace

UniqueFd open_dir_beneath(int root_fd, const std::string& rel, bool create) {
  UniqueFd cur(::openat(root_fd, ".", kDirFlags));
  if (!cur) throw_errno("open", "layer root");
  std::string sofar;
  std::size_t pos = 0;
  while (pos < rel.size()) {
    std::size_t end = rel.find('/', pos);
    if (end == std::string::npos) end = rel.size();
    std::string comp = rel.substr(pos, end - pos);
    pos = end + 1;
    sofar += sofar.empty() ? comp : "/" + comp;
    int fd = ::openat(cur.get(), comp.c_str(), kDirFlags);
    if (fd < 0 && errno == ENOENT) {
      if (!create) return UniqueFd();
      if (::mkdirat(cur.get(), comp.c_str(), 0755) != 0 && errno != EEXIST)
        throw_errno("mkdir", sofar);
      fd = ::openat(cur.get(), comp.c_str(), kDirFlags);
    }
    if (fd < 0) {
      if (errno == ELOOP || errno == ENOTDIR) refuse(cur.get(), comp, sofar);
      throw_errno("open", sofar);
    }
    cur.reset(fd);
  }
  return cur;
}

void remove_tree_at(int dir_fd, const std::string& name, const std::string& shown_path) {
  struct stat st {};
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return;
    throw_errno("stat", shown_path);
  }
  if (!S_ISDIR(st.st_mode)) {
    if (::unlinkat(dir_fd, name.c_str(), 0) != 0 && errno != ENOENT)
      throw_errno("unlink", shown_path);
    return;
  }
  int fd = ::openat(dir_fd, name.c_str(), kDirFlags);
  if (fd < 0) throw_errno("open", shown_path);
  // fdopendir takes ownership of fd; closedir releases both.
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    ::close(fd);
    throw_errno("opendir", shown_path);
  }
  std::vector<std::string> children;
  while (dirent* ent = ::readdir(dir)) {
    std::string child = ent->d_name;
    if (child != "." && child != "..") children.push_back(std::move(child));
  }
  try {
    for (const auto& child : children)
      remove_tree_at(::dirfd(dir), child, shown_path + "/" + child);
  } catch (...) {
    ::closedir(dir);
    throw;
  }
  ::closedir(dir);
  if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
    throw_errno("rmdir", shown_path);
}

}  // namespace skiff::image
