#include "agent/api/unix_stream.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <boost/asio/error.hpp>
#include <cerrno>
#include <cstring>

#include "common/error.h"

namespace skiff::agent {

namespace {

boost::system::error_code errno_code(int err) {
  return {err, boost::system::system_category()};
}

}  // namespace

void UnixStream::shutdown() noexcept {
  if (fd_) ::shutdown(fd_.get(), SHUT_RDWR);
}

bool UnixStream::peer_gone() const noexcept {
  pollfd p{fd_.get(), POLLRDHUP, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  return (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

bool UnixStream::wait_for(short events, boost::system::error_code& ec) {
  for (;;) {
    int timeout = -1;
    if (deadline_ != Clock::time_point::max()) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
      if (left.count() <= 0) {
        ec = boost::asio::error::timed_out;
        return false;
      }
      timeout = static_cast<int>(std::min<long long>(left.count() + 1, 60'000));
    }
    pollfd p{fd_.get(), events, 0};
    int r = ::poll(&p, 1, timeout);
    if (r > 0) return true;  // readable, writable, or an error the next call reports
    if (r < 0 && errno != EINTR) {
      ec = errno_code(errno);
      return false;
    }
  }
}

std::size_t UnixStream::read_raw(void* data, std::size_t size, boost::system::error_code& ec) {
  ec = {};
  for (;;) {
    if (!wait_for(POLLIN, ec)) return 0;
    ssize_t n = ::recv(fd_.get(), data, size, MSG_DONTWAIT);
    if (n > 0) return static_cast<std::size_t>(n);
    if (n == 0) {
      ec = boost::asio::error::eof;
      return 0;
    }
    if (errno == EINTR || errno == EAGAIN) continue;
    ec = errno_code(errno);
    return 0;
  }
}

std::size_t UnixStream::write_raw(const void* data, std::size_t size,
                                  boost::system::error_code& ec) {
  ec = {};
  for (;;) {
    if (!wait_for(POLLOUT, ec)) return 0;
    ssize_t n = ::send(fd_.get(), data, size, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR || errno == EAGAIN) continue;
    ec = errno_code(errno);
    return 0;
  }
}

UniqueFd connect_unix(const std::filesystem::path& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string& p = path.native();
  if (p.size() >= sizeof addr.sun_path) throw SysError("connect", p, ENAMETOOLONG);
  std::memcpy(addr.sun_path, p.c_str(), p.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw_errno("socket", p);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0) {
    throw_errno("connect", p);
  }
  return fd;
}

}  // namespace skiff::agent
