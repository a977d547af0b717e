#include "agent/engine/health_tracker.h"

namespace skiff::agent {

HealthTracker::HealthTracker(const HealthCheck& check, std::int64_t started_ms)
    : check_(check),
      start_period_end_ms_(started_ms + std::int64_t{check.start_period} * 1000),
      // Docker runs the first probe one interval after start; so does ECS.
      next_due_ms_(started_ms + std::int64_t{check.interval} * 1000) {}

Health HealthTracker::record(bool success, std::int64_t now_ms) {
  next_due_ms_ = now_ms + std::int64_t{check_.interval} * 1000;
  if (success) {
    in_start_period_ = false;
    failures_ = 0;
    health_ = Health::Healthy;
    return health_;
  }
  if (in_start_period_ && now_ms < start_period_end_ms_) return health_;
  in_start_period_ = false;
  if (++failures_ >= check_.retries) health_ = Health::Unhealthy;
  return health_;
}

}  // namespace skiff::agent
