#include "skiffctl/task_view.h"

#include <cstdio>

namespace skiff::ctl {

using nlohmann::json;

namespace {

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

const json& containers(const json& task) {
  static const json none = json::array();
  auto it = task.find("containers");
  return it != task.end() && it->is_array() ? *it : none;
}

}  // namespace

std::string task_health(const json& task) {
  // The agent decides (ECS: only essential containers with a health check count).
  if (std::string h = str(task, "health"); !h.empty()) return h;
  int checked = 0, healthy = 0;
  for (const auto& c : containers(task)) {
    std::string h = str(c, "health");
    if (h == "UNHEALTHY") return "UNHEALTHY";
    if (h.empty() || h == "NONE") continue;
    ++checked;
    if (h == "HEALTHY") ++healthy;
  }
  if (checked == 0) return "-";
  return healthy == checked ? "HEALTHY" : "UNKNOWN";
}

std::string container_count(const json& task) {
  int running = 0, all = 0;
  for (const auto& c : containers(task)) {
    ++all;
    if (str(c, "knownStatus") == "RUNNING") ++running;
  }
  return std::to_string(running) + "/" + std::to_string(all);
}

std::string task_status(const json& task) {
  std::string known = str(task, "knownStatus");
  if (known.empty()) known.push_back('-');  // (GCC 12 -Wrestrict misfires on = "-")
  if (known != "STOPPED" && str(task, "desiredStatus") == "STOPPED") known += " (stopping)";
  return known;
}

std::string age(const std::string& rfc3339, std::time_t now) {
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(rfc3339.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
                  &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6) {
    return "-";
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::time_t t = ::timegm(&tm);
  long long s = now > t ? static_cast<long long>(now - t) : 0;
  if (s < 120) return std::to_string(s) + "s";
  if (s < 2 * 3600) return std::to_string(s / 60) + "m";
  if (s < 2 * 86400) return std::to_string(s / 3600) + "h";
  return std::to_string(s / 86400) + "d";
}

}  // namespace skiff::ctl
