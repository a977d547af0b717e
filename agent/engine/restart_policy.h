// ECS container restart policy: a container that exits is restarted in place unless its
// exit code is ignored, but only if it ran for at least restartAttemptPeriod (so a
// container that crashes at once is not restarted in a loop).
#pragma once

#include <cstdint>
#include <string>

#include "agent/engine/task_model.h"
#include "agent/engine/task_record.h"

namespace skiff::agent {

struct RestartDecision {
  bool restart = false;
  std::string why;  // why not, for the stoppedReason
};

RestartDecision decide_restart(const RestartPolicy& policy, const ContainerRecord& c,
                               std::int64_t now_ms);

}  // namespace skiff::agent
