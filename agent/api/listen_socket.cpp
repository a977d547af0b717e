#include "agent/api/listen_socket.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "agent/api/unix_stream.h"
#include "common/error.h"

namespace skiff::agent {

namespace fs = std::filesystem;

namespace {

sockaddr_un unix_address(const fs::path& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.native().size() >= sizeof addr.sun_path) {
    throw SysError("bind", path, ENAMETOOLONG);
  }
  std::memcpy(addr.sun_path, path.c_str(), path.native().size() + 1);
  return addr;
}

UniqueFd take_lock(const fs::path& path) {
  fs::path lock_path = path.native() + ".lock";
  UniqueFd fd(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) throw_errno("open", lock_path);
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) < 0) {
    if (errno == EWOULDBLOCK) {
      throw Error("another skiff-agent holds " + path.native() + " (lock " + lock_path.native() +
                  " is taken)");
    }
    throw_errno("flock", lock_path);
  }
  return fd;
}

// An existing path: refuse a live listener or a non-socket; a stale socket is left for the
// rename to replace.
void check_existing(const fs::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) < 0) {
    if (errno == ENOENT) return;
    throw_errno("lstat", path);
  }
  if (!S_ISSOCK(st.st_mode)) {
    throw Error(path.native() + " exists and is not a socket; refusing to replace it");
  }
  try {
    connect_unix(path);
  } catch (const SysError& e) {
    if (e.code() == ECONNREFUSED) return;  // nobody listens: stale
    throw;
  }
  throw Error("another process is listening on " + path.native());
}

}  // namespace

ListenSocket open_listen_socket(const fs::path& path) {
  ListenSocket s;
  s.path = path;
  fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw SysError("mkdir", dir, ec.value());
  s.lock = take_lock(path);
  check_existing(path);

  // Private staging directory next to the final path (same filesystem, so rename works).
  std::string tmpl = (dir / ".agent-sock.XXXXXX").native();
  if (::mkdtemp(tmpl.data()) == nullptr) throw_errno("mkdtemp", tmpl);
  fs::path staging = tmpl;
  fs::path staged = staging / "s";
  try {
    s.fd = UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!s.fd) throw_errno("socket", path);
    sockaddr_un addr = unix_address(staged);
    if (::bind(s.fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0) {
      throw_errno("bind", staged);
    }
    if (::chmod(staged.c_str(), 0600) < 0) throw_errno("chmod", staged);
    if (::listen(s.fd.get(), 64) < 0) throw_errno("listen", staged);
    if (::rename(staged.c_str(), path.c_str()) < 0) throw_errno("rename", path);
  } catch (...) {
    ::unlink(staged.c_str());
    ::rmdir(staging.c_str());
    throw;
  }
  ::rmdir(staging.c_str());
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    s.dev = st.st_dev;
    s.ino = st.st_ino;
  }
  return s;
}

void remove_listen_socket(const ListenSocket& socket) noexcept {
  if (!socket.fd || socket.path.empty()) return;
  // Only our own inode: someone may have moved the path on in the meantime.
  struct stat there {};
  if (::lstat(socket.path.c_str(), &there) == 0 && there.st_dev == socket.dev &&
      there.st_ino == socket.ino) {
    ::unlink(socket.path.c_str());
  }
}

uid_t peer_uid(int connection) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(connection, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
    throw_errno("getsockopt SO_PEERCRED", "");
  }
  return cred.uid;
}

}  // namespace skiff::agent
