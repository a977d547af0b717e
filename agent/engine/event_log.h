// A bounded, in-memory log of task and container events for /v1/events and `skiffctl
// events`. Old events fall off the front; readers resume by sequence number.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

#include "agent/api/agent_service.h"

namespace skiff::agent {

class EventLog {
 public:
  explicit EventLog(std::size_t capacity = 2048) : capacity_(capacity) {}

  // Adds "time" and returns the event's sequence number.
  std::uint64_t publish(nlohmann::json body);
  std::vector<Event> since(std::uint64_t after, std::chrono::milliseconds wait);
  std::uint64_t last_seq() const;

 private:
  std::size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Event> events_;
  std::uint64_t next_ = 1;
};

}  // namespace skiff::agent
