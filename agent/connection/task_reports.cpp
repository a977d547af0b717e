#include "agent/connection/task_reports.h"

namespace skiff::agent {

bool from_control_plane(const nlohmann::json& view) {
  return view.value("source", "").starts_with(kControlPlaneSource);
}

bool TaskReport::operator==(const TaskReport& o) const {
  if (knownStatus != o.knownStatus || stoppedReason != o.stoppedReason ||
      containers.size() != o.containers.size()) {
    return false;
  }
  for (std::size_t i = 0; i < containers.size(); ++i) {
    const auto& a = containers[i];
    const auto& b = o.containers[i];
    if (a.name != b.name || a.status != b.status || a.exitCode != b.exitCode ||
        a.reason != b.reason || a.health != b.health) {
      return false;
    }
  }
  return true;
}

namespace {

// The engine's container states (None, PULLED, CREATING, CREATED, ...) fold into three.
std::string protocol_status(const std::string& known) {
  if (known == "RUNNING") return "RUNNING";
  if (known == "STOPPED") return "STOPPED";
  return "PENDING";
}

}  // namespace

TaskReport report_of(const nlohmann::json& view) {
  TaskReport r;
  r.knownStatus = view.value("knownStatus", "PENDING");
  if (r.knownStatus == "STOPPED") {
    r.stoppedReason = view.value("stoppedReason", "");
    if (r.stoppedReason.empty()) r.stoppedReason = "stopped";
  }
  for (const auto& c : view.value("containers", nlohmann::json::array())) {
    protocol::ContainerState s;
    s.name = c.value("name", "");
    s.status = protocol_status(c.value("knownStatus", ""));
    if (c.contains("exitCode") && c["exitCode"].is_number_integer()) {
      s.exitCode = c["exitCode"].get<std::int64_t>();
    }
    s.reason = c.value("reason", "");
    s.health = c.value("health", "UNKNOWN");
    r.containers.push_back(std::move(s));
  }
  return r;
}

protocol::StateChange state_change(const std::string& task_id, const TaskReport& report) {
  protocol::StateChange sc;
  sc.taskId = task_id;
  sc.knownStatus = report.knownStatus;
  sc.stoppedReason = report.stoppedReason;
  sc.containers = report.containers;
  return sc;
}

bool valid_task_id(const std::string& id) {
  if (id.empty() || id.size() > 128 || id[0] == '.' || id[0] == '-') return false;
  for (char ch : id) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.';
    if (!ok) return false;
  }
  return id.find("..") == std::string::npos;
}

}  // namespace skiff::agent
