#include "agent/engine/event_log.h"

#include "agent/engine/task_record.h"

namespace skiff::agent {

std::uint64_t EventLog::publish(nlohmann::json body) {
  std::uint64_t seq;
  {
    std::lock_guard lock(mu_);
    seq = next_++;
    body["seq"] = seq;
    body["time"] = format_time(now_ms());
    events_.push_back(Event{seq, std::move(body)});
    while (events_.size() > capacity_) events_.pop_front();
  }
  cv_.notify_all();
  return seq;
}

std::vector<Event> EventLog::since(std::uint64_t after, std::chrono::milliseconds wait) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, wait, [&] { return next_ - 1 > after; });
  std::vector<Event> out;
  for (const auto& e : events_) {
    if (e.seq > after) out.push_back(e);
  }
  return out;
}

std::uint64_t EventLog::last_seq() const {
  std::lock_guard lock(mu_);
  return next_ - 1;
}

}  // namespace skiff::agent
