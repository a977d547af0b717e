#include "controlplane/server/scheduler.h"

#include <fmt/format.h>

#include "common/error.h"

namespace skiff::cp {
namespace {

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t");
  const auto e = s.find_last_not_of(" \t");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

bool satisfies(const Candidate& c, const Constraint& k) {
  switch (k.kind) {
    case Constraint::Kind::kAttributeEquals:
      return c.instance->attribute(k.attribute) == k.value;
    case Constraint::Kind::kAttributeNotEquals:
      return c.instance->attribute(k.attribute) != k.value;
    case Constraint::Kind::kDistinctInstance:
      return c.groupTasks == 0;
  }
  return false;
}

}  // namespace

std::vector<Constraint> parse_constraints(const nlohmann::json& j) {
  std::vector<Constraint> out;
  if (j.is_null()) return out;
  if (!j.is_array()) throw Error("placementConstraints: expected an array");
  for (std::size_t i = 0; i < j.size(); ++i) {
    const auto& c = j[i];
    const auto field = fmt::format("placementConstraints[{}]", i);
    if (!c.is_object() || !c.contains("type") || !c["type"].is_string()) {
      throw Error(field + ".type: missing");
    }
    const auto type = c["type"].get<std::string>();
    if (type == "distinctInstance") {
      out.push_back({Constraint::Kind::kDistinctInstance, "", ""});
      continue;
    }
    if (type != "memberOf")
      throw Error(field + ".type: '" + type + "' is not memberOf or distinctInstance");
    if (!c.contains("expression") || !c["expression"].is_string()) {
      throw Error(field + ".expression: missing");
    }
    const auto expr = c["expression"].get<std::string>();
    auto op = expr.find("==");
    auto kind = Constraint::Kind::kAttributeEquals;
    if (op == std::string::npos) {
      op = expr.find("!=");
      kind = Constraint::Kind::kAttributeNotEquals;
    }
    if (op == std::string::npos) {
      throw Error(field + ".expression: '" + expr + "' has no == or !=");
    }
    auto lhs = trim(expr.substr(0, op));
    auto rhs = trim(expr.substr(op + 2));
    if (lhs.rfind("attribute:", 0) != 0 || lhs.size() == 10 || rhs.empty()) {
      throw Error(field + ".expression: '" + expr + "' is not 'attribute:NAME == VALUE'");
    }
    out.push_back({kind, lhs.substr(10), rhs});
  }
  return out;
}

Demand demand_of(const TaskDef& td) {
  return Demand{td.cpu, td.memoryMiB, td.hostPorts, td.hostUdpPorts};
}

std::vector<Constraint> constraints_for(const TaskDef& td, const nlohmann::json& placement) {
  auto out = parse_constraints(placement);
  try {
    for (auto& c : parse_constraints(td.placementConstraints)) out.push_back(std::move(c));
  } catch (const Error& e) {
    throw Error("task definition " + td.key() + ": " + e.what());
  }
  return out;
}

Strategy parse_strategy(const nlohmann::json& j) {
  if (j.is_null() || (j.is_array() && j.empty())) return Strategy::kSpread;
  if (!j.is_array()) throw Error("placementStrategy: expected an array");
  const auto& s = j[0];
  if (!s.is_object() || !s.contains("type") || !s["type"].is_string()) {
    throw Error("placementStrategy[0].type: missing");
  }
  const auto type = s["type"].get<std::string>();
  if (type == "spread") return Strategy::kSpread;
  if (type == "binpack") return Strategy::kBinpack;
  throw Error("placementStrategy[0].type: '" + type + "' is not spread or binpack");
}

std::optional<std::size_t> place(std::vector<Candidate>& candidates, const Demand& demand,
                                 const std::vector<Constraint>& constraints, Strategy strategy,
                                 std::string& why) {
  std::optional<std::size_t> best;
  std::size_t rejected_constraint = 0, rejected_resources = 0, rejected_ports = 0;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const auto& c = candidates[i];
    bool ok = true;
    for (const auto& k : constraints) ok = ok && satisfies(c, k);
    if (!ok) {
      ++rejected_constraint;
      continue;
    }
    if (c.usedCpu + demand.cpu > c.instance->cpu ||
        c.usedMemoryMiB + demand.memoryMiB > c.instance->memoryMiB) {
      ++rejected_resources;
      continue;
    }
    bool port_free = true;
    for (auto p : demand.hostPorts) port_free = port_free && !c.usedPorts.count(p);
    for (auto p : demand.hostUdpPorts) port_free = port_free && !c.usedUdpPorts.count(p);
    if (!port_free) {
      ++rejected_ports;
      continue;
    }
    if (!best) {
      best = i;
      continue;
    }
    const auto& b = candidates[*best];
    bool better;
    if (strategy == Strategy::kBinpack) {
      const auto free_c = c.instance->memoryMiB - c.usedMemoryMiB;
      const auto free_b = b.instance->memoryMiB - b.usedMemoryMiB;
      better = free_c != free_b ? free_c < free_b
                                : c.instance->cpu - c.usedCpu < b.instance->cpu - b.usedCpu;
    } else {
      better = c.groupTasks != b.groupTasks ? c.groupTasks < b.groupTasks : c.tasks < b.tasks;
    }
    if (better) best = i;
  }
  if (!best) {
    if (candidates.empty()) {
      why = "no connected ACTIVE container instance in the cluster";
    } else {
      why = fmt::format(
          "no container instance fits: {} rejected by constraints, {} lack cpu/memory, {} "
          "have a host port in use",
          rejected_constraint, rejected_resources, rejected_ports);
    }
    return std::nullopt;
  }
  auto& chosen = candidates[*best];
  chosen.usedCpu += demand.cpu;
  chosen.usedMemoryMiB += demand.memoryMiB;
  for (auto p : demand.hostPorts) chosen.usedPorts.insert(p);
  for (auto p : demand.hostUdpPorts) chosen.usedUdpPorts.insert(p);
  ++chosen.tasks;
  ++chosen.groupTasks;
  return best;
}

}  // namespace skiff::cp
