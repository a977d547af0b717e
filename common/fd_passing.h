// Sending a payload with one file descriptor attached (SCM_RIGHTS) over a unix socket.
#pragma once

#include <cstddef>

namespace skiff {

// sendmsg with MSG_NOSIGNAL, retried on EINTR; `fd` < 0 sends no fd. Returns false with
// errno set, so callers can name what they were sending and where.
bool send_with_fd(int socket, const void* data, std::size_t size, int fd);

}  // namespace skiff
