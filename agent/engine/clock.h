// The engine's only source of time. Every deadline it keeps (stopTimeout, startTimeout,
// health intervals, restart periods, retry back-off) is read from here, so a test can move
// time by hand instead of sleeping through it.
#pragma once

#include <cstdint>

namespace skiff::agent {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch (saved in task.json, so wall time, not monotonic).
  virtual std::int64_t now_ms() const = 0;
};

// The real clock: the agent's now_ms() (task_record.h).
class SystemClock final : public Clock {
 public:
  std::int64_t now_ms() const override;
};

}  // namespace skiff::agent
