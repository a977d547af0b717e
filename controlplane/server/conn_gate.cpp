#include "controlplane/server/conn_gate.h"

#include <utility>

namespace skiff::cp {

std::uint64_t UnauthenticatedSet::add(Closer close) {
  while (entries_.size() >= cap_ && evict_oldest()) {
  }
  const auto ticket = next_++;
  entries_.emplace(ticket, std::move(close));
  return ticket;
}

void UnauthenticatedSet::remove(std::uint64_t ticket) {
  entries_.erase(ticket);
}

bool UnauthenticatedSet::evict_oldest() {
  if (entries_.empty()) return false;
  // Out of the map before closing: the closer may end up in remove().
  auto close = std::move(entries_.begin()->second);
  entries_.erase(entries_.begin());
  ++evicted_;
  if (close) close();
  return true;
}

bool LogLimiter::allow(std::uint64_t& suppressed) {
  const auto now = std::chrono::steady_clock::now();
  if (written_ && now - last_ < interval_) {
    ++dropped_;
    return false;
  }
  written_ = true;
  last_ = now;
  suppressed = dropped_;
  dropped_ = 0;
  return true;
}

}  // namespace skiff::cp
