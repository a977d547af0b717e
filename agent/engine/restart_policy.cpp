#include "agent/engine/restart_policy.h"

#include <algorithm>

namespace skiff::agent {

RestartDecision decide_restart(const RestartPolicy& policy, const ContainerRecord& c,
                               std::int64_t now_ms) {
  if (!policy.enabled) return {false, "restart policy disabled"};
  int code = c.exit_code.value_or(-1);
  if (std::find(policy.ignored_exit_codes.begin(), policy.ignored_exit_codes.end(), code) !=
      policy.ignored_exit_codes.end()) {
    return {false, "exit code " + std::to_string(code) + " is in ignoredExitCodes"};
  }
  std::int64_t ran_ms = c.started_at_ms > 0 ? now_ms - c.started_at_ms : 0;
  // ECS: the container must run for the whole period (counted from its latest start) before
  // a restart is attempted, so one that fails at once is not restarted in a loop.
  if (ran_ms < std::int64_t{policy.restart_attempt_period} * 1000) {
    return {false, "it exited after " + std::to_string(ran_ms / 1000) +
                       "s, before restartAttemptPeriod (" +
                       std::to_string(policy.restart_attempt_period) + "s)"};
  }
  return {true, ""};
}

}  // namespace skiff::agent
