#include "runtime/container_state.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/file_io.h"
#include "common/proc_stat.h"
#include "common/unique_fd.h"

namespace skiff::runtime {

const char* to_string(Status status) {
  switch (status) {
    case Status::Creating:
      return "creating";
    case Status::Created:
      return "created";
    case Status::Running:
      return "running";
    case Status::Paused:
      return "paused";
    case Status::Stopped:
      return "stopped";
  }
  return "unknown";
}

nlohmann::json ContainerState::to_json() const {
  return {{"id", id},
          {"bundle", bundle},
          {"rootfs", rootfs},
          {"pid", pid},
          {"pidStartTime", pid_start_time},
          {"created", created},
          {"cgroupPaths", cgroup_paths},
          {"annotations", annotations},
          {"hooks", hooks},
          {"owner", owner},
          {"createdViaRun", created_via_run},
          {"rootfsMountedOnHost", rootfs_mounted_on_host}};
}

ContainerState ContainerState::from_json(const nlohmann::json& j) {
  ContainerState s;
  s.id = j.at("id").get<std::string>();
  s.bundle = j.at("bundle").get<std::string>();
  s.rootfs = j.value("rootfs", "");
  s.pid = j.at("pid").get<pid_t>();
  s.pid_start_time = j.value("pidStartTime", std::uint64_t{0});
  s.created = j.value("created", "");
  s.cgroup_paths = j.value("cgroupPaths", std::vector<std::string>{});
  s.annotations = j.value("annotations", nlohmann::json::object());
  s.hooks = j.value("hooks", nlohmann::json::object());
  s.owner = j.value("owner", 0u);
  s.created_via_run = j.value("createdViaRun", false);
  s.rootfs_mounted_on_host = j.value("rootfsMountedOnHost", false);
  return s;
}

void save_state(const std::filesystem::path& file, const ContainerState& state) {
  write_file_atomic(file, state.to_json().dump(), 0600);
}

ContainerState load_state(const std::filesystem::path& file) {
  std::string text = read_file(file);
  try {
    return ContainerState::from_json(nlohmann::json::parse(text));
  } catch (const nlohmann::json::exception& e) {
    throw Error(file.string() + ": damaged state: " + e.what());
  }
}

std::optional<std::uint64_t> process_start_time(pid_t pid) {
  // No exceptions: a process that is gone is the common case at delete, and a first throw
  // in this static binary sorts every unwind table (about half a millisecond).
  const auto st = read_proc_stat(pid);
  if (!st || st->state == 'Z' || st->state == 'X') return std::nullopt;
  return st->start_time;
}

bool is_same_live_process(pid_t pid, std::uint64_t start_time) {
  if (pid <= 0) return false;
  auto now = process_start_time(pid);
  return now && *now == start_time;
}

nlohmann::json oci_state(const ContainerState& s, Status status) {
  return {{"ociVersion", "1.1.0"},       {"id", s.id},
          {"status", to_string(status)}, {"pid", status == Status::Stopped ? 0 : s.pid},
          {"bundle", s.bundle},          {"rootfs", s.rootfs},
          {"created", s.created},        {"owner", s.owner == 0 ? "root" : std::to_string(s.owner)},
          {"annotations", s.annotations}};
}

std::string now_rfc3339() {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count() %
      1000000000;
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(nanos));
  return buf;
}

}  // namespace skiff::runtime
