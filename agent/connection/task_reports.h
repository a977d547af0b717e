// Translation between the engine's task views (docs/agent-api.md) and the protocol's
// KnownTask / StateChange shapes.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "protocol/frames.h"

namespace skiff::agent {

// Tasks the control plane gave us carry this source prefix ("controlplane:CLUSTER").
inline constexpr std::string_view kControlPlaneSource = "controlplane:";
bool from_control_plane(const nlohmann::json& view);

// What the control plane is told about a task; two equal reports need no StateChange.
struct TaskReport {
  std::string knownStatus;
  std::string stoppedReason;
  std::vector<protocol::ContainerState> containers;

  bool operator==(const TaskReport& other) const;
};

TaskReport report_of(const nlohmann::json& view);
protocol::StateChange state_change(const std::string& task_id, const TaskReport& report);

// Task ids come from the network and become file and cgroup names: letters, digits, '-',
// '_' and '.', 1-128 characters, not starting with '.' or '-'.
bool valid_task_id(const std::string& id);

}  // namespace skiff::agent
