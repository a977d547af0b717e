// What a process can do with chosen paths: the probe_report.h "paths" section. Access is
// tried for real (open, mkdir) rather than asked of access(2), which answers yes for root
// on read-only mounts; nothing is ever written or truncated.
#include "probe_paths.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>

namespace skiff::probe {
namespace {

using Json = nlohmann::ordered_json;

const char* type_name(mode_t m) {
  switch (m & S_IFMT) {
    case S_IFREG:
      return "file";
    case S_IFDIR:
      return "dir";
    case S_IFCHR:
      return "char";
    case S_IFBLK:
      return "block";
    case S_IFLNK:
      return "link";
    case S_IFIFO:
      return "fifo";
    case S_IFSOCK:
      return "socket";
    default:
      return "unknown";
  }
}

// O_NONBLOCK so a fifo without a peer or a slow device never hangs the probe.
int open_probe(const std::string& p, int flags) {
  return ::open(p.c_str(), flags | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
}

Json dir_is_empty(const std::string& p) {
  DIR* d = ::opendir(p.c_str());
  if (!d) return nullptr;
  bool empty = true;
  while (dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
      empty = false;
      break;
    }
  }
  ::closedir(d);
  return empty;
}

// A directory is writable when an entry can really be made in it: access(W_OK) says yes
// on a read-only bind mount for root, which is exactly what tests want to catch.
bool dir_writable(const std::string& p) {
  std::string tmp = p + "/.skiff-probe-" + std::to_string(::getpid());
  if (::mkdir(tmp.c_str(), 0700) != 0) return false;
  ::rmdir(tmp.c_str());
  return true;
}

Json check_path(const std::string& p) {
  // Every key is always there, null when it does not apply, so tests index freely.
  Json j = {{"exists", false},   {"errno", nullptr},        {"type", nullptr},
            {"mode", nullptr},   {"uid", nullptr},          {"gid", nullptr},
            {"rdev", nullptr},   {"target", nullptr},       {"readable", false},
            {"writable", false}, {"content_empty", nullptr}};
  struct stat l;
  if (::lstat(p.c_str(), &l) != 0) {
    j["errno"] = errno;
    return j;
  }
  j["exists"] = true;
  j["type"] = type_name(l.st_mode);
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(l.st_mode & 07777));
  j["mode"] = mode;
  j["uid"] = l.st_uid;
  j["gid"] = l.st_gid;
  if (S_ISCHR(l.st_mode) || S_ISBLK(l.st_mode)) {
    j["rdev"] = std::to_string(major(l.st_rdev)) + ":" + std::to_string(minor(l.st_rdev));
  }
  if (S_ISLNK(l.st_mode)) {
    char target[PATH_MAX];
    ssize_t n = ::readlink(p.c_str(), target, sizeof target);
    j["target"] = n >= 0 ? Json(std::string(target, static_cast<size_t>(n))) : Json(nullptr);
  }
  // Access is judged on what the path leads to, as a program inside would use it.
  struct stat s;
  if (::stat(p.c_str(), &s) != 0) s = l;  // a dangling link: judge the link itself
  if (S_ISDIR(s.st_mode)) {
    int fd = open_probe(p, O_RDONLY | O_DIRECTORY);
    j["readable"] = fd >= 0;
    if (fd >= 0) ::close(fd);
    j["writable"] = dir_writable(p);
    j["content_empty"] = dir_is_empty(p);
    return j;
  }
  int rfd = open_probe(p, O_RDONLY);
  j["readable"] = rfd >= 0;
  if (rfd >= 0) {
    if (S_ISREG(s.st_mode) || S_ISCHR(s.st_mode)) {
      char buf[4096];
      ssize_t n;
      do n = ::read(rfd, buf, sizeof buf);
      while (n < 0 && errno == EINTR);
      if (n >= 0) j["content_empty"] = n == 0;
    }
    ::close(rfd);
  }
  int wfd = open_probe(p, O_WRONLY);  // no O_TRUNC, no write: the file stays as it was
  j["writable"] = wfd >= 0;
  if (wfd >= 0) ::close(wfd);
  return j;
}

}  // namespace

nlohmann::ordered_json check_paths(const std::vector<std::string>& paths) {
  Json j = Json::object();
  for (const auto& p : paths) j[p] = check_path(p);
  return j;
}

}  // namespace skiff::probe
