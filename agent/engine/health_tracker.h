// Docker/ECS health-check bookkeeping for one container, without the process handling:
// the engine runs the probe and reports each result here.
//
// Failures inside startPeriod don't count, but a success ends the start period early; after
// `retries` consecutive counted failures the container is UNHEALTHY; one success makes it
// HEALTHY again.
#pragma once

#include <cstdint>

#include "agent/engine/task_model.h"
#include "agent/engine/task_record.h"

namespace skiff::agent {

class HealthTracker {
 public:
  HealthTracker(const HealthCheck& check, std::int64_t started_ms);

  std::int64_t next_due_ms() const { return next_due_ms_; }
  Health health() const { return health_; }
  int consecutive_failures() const { return failures_; }

  // Records a probe result at `now_ms` and schedules the next one.
  Health record(bool success, std::int64_t now_ms);

 private:
  HealthCheck check_;
  std::int64_t start_period_end_ms_;
  bool in_start_period_ = true;
  std::int64_t next_due_ms_;
  int failures_ = 0;
  Health health_ = Health::Unknown;
};

}  // namespace skiff::agent
