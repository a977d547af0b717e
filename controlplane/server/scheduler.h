// Task placement: cpu/memory/host-port fit, attribute constraints, binpack or spread
// (docs/protocol.md, "Placement"). Pure logic over a snapshot, so it is unit-testable.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "controlplane/server/model.h"

namespace skiff::cp {

struct Constraint {
  enum class Kind { kAttributeEquals, kAttributeNotEquals, kDistinctInstance } kind;
  std::string attribute;
  std::string value;
};

enum class Strategy { kSpread, kBinpack };

// Throws skiff::Error naming the field (placementConstraints[0].expression: ...).
std::vector<Constraint> parse_constraints(const nlohmann::json& j);
Strategy parse_strategy(const nlohmann::json& j);

// One instance as the scheduler sees it.
struct Candidate {
  const Instance* instance = nullptr;
  std::uint64_t usedCpu = 0;
  std::uint64_t usedMemoryMiB = 0;
  std::set<std::uint64_t> usedPorts;  // TCP
  std::set<std::uint64_t> usedUdpPorts;
  std::size_t tasks = 0;       // not-stopped tasks on the instance
  std::size_t groupTasks = 0;  // of those, of the same service (or family for RunTask)
};

struct Demand {
  std::uint64_t cpu = 0;
  std::uint64_t memoryMiB = 0;
  std::vector<std::uint64_t> hostPorts;  // TCP
  std::vector<std::uint64_t> hostUdpPorts;
};

// A task definition's demand: its cpu, memory and host ports.
Demand demand_of(const TaskDef& td);

// `placement` (a service's or a RunTask call's) and the task definition's own constraints.
// Throws skiff::Error naming the field.
std::vector<Constraint> constraints_for(const TaskDef& td, const nlohmann::json& placement);

// Picks a candidate index, or nullopt with `why` set to the reason no instance fits. On
// success the chosen candidate's usage is updated, so repeated calls place a batch.
std::optional<std::size_t> place(std::vector<Candidate>& candidates, const Demand& demand,
                                 const std::vector<Constraint>& constraints, Strategy strategy,
                                 std::string& why);

}  // namespace skiff::cp
