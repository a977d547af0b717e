#include "agent/engine/clock.h"

#include "agent/engine/task_record.h"

namespace skiff::agent {

std::int64_t SystemClock::now_ms() const {
  return agent::now_ms();
}

}  // namespace skiff::agent
