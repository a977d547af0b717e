// A blocking unix-socket stream with deadlines, for Boost.Beast's synchronous HTTP calls.
//
// Beast's sync read/write take any SyncReadStream/SyncWriteStream; this one polls before
// each read and write so a silent or stuck peer costs a timeout, never a thread forever,
// and so shutdown() from another thread wakes it. Used by both the API server (one thread
// per connection) and skiffctl.
#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>
#include <chrono>
#include <cstddef>
#include <filesystem>

#include "common/unique_fd.h"

namespace skiff::agent {

class UnixStream {
 public:
  using Clock = std::chrono::steady_clock;

  explicit UnixStream(UniqueFd fd) : fd_(std::move(fd)) {}

  int fd() const noexcept { return fd_.get(); }
  // Reads and writes after `deadline` fail with timed_out; time_point::max() waits forever.
  void set_deadline(Clock::time_point deadline) noexcept { deadline_ = deadline; }
  void expires_after(std::chrono::milliseconds d) noexcept { deadline_ = Clock::now() + d; }
  void expires_never() noexcept { deadline_ = Clock::time_point::max(); }
  // Wakes a blocked reader/writer in another thread (they then see EOF / an error).
  void shutdown() noexcept;
  // True once the peer has closed or reset its end (checked without blocking).
  bool peer_gone() const noexcept;

  // SyncReadStream / SyncWriteStream.
  template <class MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers, boost::system::error_code& ec) {
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers); ++it) {
      boost::asio::mutable_buffer b(*it);
      if (b.size() > 0) return read_raw(b.data(), b.size(), ec);
    }
    ec = {};
    return 0;
  }
  template <class MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers) {
    boost::system::error_code ec;
    std::size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }
  template <class ConstBuffers>
  std::size_t write_some(const ConstBuffers& buffers, boost::system::error_code& ec) {
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers); ++it) {
      boost::asio::const_buffer b(*it);
      if (b.size() > 0) return write_raw(b.data(), b.size(), ec);
    }
    ec = {};
    return 0;
  }
  template <class ConstBuffers>
  std::size_t write_some(const ConstBuffers& buffers) {
    boost::system::error_code ec;
    std::size_t n = write_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  std::size_t read_raw(void* data, std::size_t size, boost::system::error_code& ec);
  std::size_t write_raw(const void* data, std::size_t size, boost::system::error_code& ec);
  // Waits for `events` until the deadline; false with ec set on timeout or error.
  bool wait_for(short events, boost::system::error_code& ec);

  UniqueFd fd_;
  Clock::time_point deadline_ = Clock::time_point::max();
};

// Connects to the unix socket at `path`; throws SysError("connect", path, errno).
UniqueFd connect_unix(const std::filesystem::path& path);

}  // namespace skiff::agent
