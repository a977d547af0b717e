// What connections that have not yet proven who they are may hold, and a log line that
// cannot flood. Issue 12 item 8: a flood of TLS connections that never finish the
// handshake used to pile up until file descriptors ran out.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>

namespace skiff::cp {

// Connections between accept and their first authenticated request (an admin call with
// the token, or an agent's authenticated upgrade). At most `cap` at once: a new one past
// the cap closes the oldest, so a flood keeps nobody out for longer than one handshake.
// Used from the server's one io_context thread only.
class UnauthenticatedSet {
 public:
  using Closer = std::function<void()>;

  explicit UnauthenticatedSet(std::size_t cap) : cap_(cap) {}

  // Registers a connection (evicting the oldest first when full); the ticket removes it.
  std::uint64_t add(Closer close);
  // Authenticated or gone; a ticket already evicted is ignored.
  void remove(std::uint64_t ticket);
  // Closes the oldest; false if there is none.
  bool evict_oldest();

  void set_cap(std::size_t cap) { cap_ = cap; }
  std::size_t size() const { return entries_.size(); }
  std::uint64_t evicted() const { return evicted_; }

 private:
  std::size_t cap_;
  std::map<std::uint64_t, Closer> entries_;  // tickets grow, so begin() is the oldest
  std::uint64_t next_ = 1;
  std::uint64_t evicted_ = 0;
};

// At most one line per interval. allow() says whether to write one now and how many
// were dropped since the last one written.
class LogLimiter {
 public:
  explicit LogLimiter(std::chrono::steady_clock::duration interval) : interval_(interval) {}

  bool allow(std::uint64_t& suppressed);

 private:
  std::chrono::steady_clock::duration interval_;
  std::chrono::steady_clock::time_point last_{};
  bool written_ = false;
  std::uint64_t dropped_ = 0;
};

}  // namespace skiff::cp
