// `skiffctl cp service wait`: follows a service's rolling deployment until the deployment
// that was PRIMARY when the wait began is COMPLETED or FAILED, printing every task
// transition as the control plane records it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "skiffctl/cp_client.h"

namespace skiff::ctl {

struct TransitionRow {
  std::string at;  // ISO 8601 UTC, as the control plane wrote it
  std::int64_t atMs = 0;
  std::string taskId, taskDefinition, lastStatus, healthStatus, reason;
};

// Remembers which transitions were handed out, so each is printed once however often the
// task list is polled (a task's transitions only ever grow).
class TransitionLog {
 public:
  // Transitions before `since` (same ISO format, compared as text) are skipped.
  explicit TransitionLog(std::string since) : since_(std::move(since)) {}

  // The transitions in `tasks` (GET /v1/clusters/C/tasks → "tasks") not returned before,
  // oldest first.
  std::vector<TransitionRow> take_new(const nlohmann::json& tasks);

 private:
  std::string since_;
  std::map<std::string, std::size_t> seen_;  // task id -> transitions already looked at
};

struct WaitArgs {
  std::string cluster, service;
  // Empty: the current deployment (or the update a rollback undid). Else this one; it is
  // not swapped for a later one that replaces it.
  std::string deployment;
  std::chrono::milliseconds timeout = std::chrono::minutes(10);
  std::chrono::milliseconds poll = std::chrono::milliseconds(200);
};

// Returns when the deployment COMPLETED; throws skiff::Error when it FAILED (or was rolled
// back), on timeout, or when the service goes away. json: one object per line.
void wait_for_service(const CpClient& client, const WaitArgs& args, bool json);

}  // namespace skiff::ctl
