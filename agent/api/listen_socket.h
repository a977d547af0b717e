// The API's listening socket: root-only from the first instant, one live agent per path.
#pragma once

#include <sys/types.h>

#include <filesystem>

#include "common/unique_fd.h"

namespace skiff::agent {

struct ListenSocket {
  UniqueFd fd;    // listening, SOCK_CLOEXEC
  UniqueFd lock;  // flock on "<path>.lock", held for the socket's lifetime
  std::filesystem::path path;
  dev_t dev = 0;  // the socket inode at `path`, so removal never unlinks a successor
  ino_t ino = 0;
};

// Binds `path` with mode 0600. The socket is bound inside a fresh 0700 directory and renamed
// into place, so it is never reachable with a wider mode (no process-wide umask games) and
// a stale socket is replaced atomically. Throws skiff::Error if another agent holds the
// path (its lock is taken or the socket answers), or if `path` exists and is not a socket.
ListenSocket open_listen_socket(const std::filesystem::path& path);

// Removes the socket if it is still ours (same inode); the lock goes with ListenSocket.
void remove_listen_socket(const ListenSocket& socket) noexcept;

// The connecting process's uid (SO_PEERCRED); throws SysError.
uid_t peer_uid(int connection);

}  // namespace skiff::agent
