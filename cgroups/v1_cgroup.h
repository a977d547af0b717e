// cgroup v1 backend: one directory per mounted controller hierarchy (cpu, cpuacct,
// memory, pids, cpuset, blkio, freezer, devices), all with the same relative name.
#pragma once

#include <map>
#include <string>

#include "cgroups/cgroup.h"

namespace skiff::cgroups {

class V1Cgroup final : public Cgroup {
 public:
  // controller -> directory; co-mounted controllers (cpu,cpuacct) share one directory.
  explicit V1Cgroup(std::map<std::string, std::filesystem::path> dirs) : dirs_(std::move(dirs)) {}

  Backend backend() const override { return Backend::V1; }
  std::vector<std::filesystem::path> paths() const override;
  void add_process(pid_t pid) override;
  UniqueFd open_for_clone() const override { return UniqueFd(); }
  void apply(const Resources& resources) override;
  void apply_device_rules(const std::vector<DeviceRule>& rules) override;
  Stats stats() const override;
  void freeze() override;
  void thaw() override;
  FreezerState freezer_state() const override;
  std::vector<pid_t> pids() const override;
  void kill_all() override;
  void remove() override;
  std::unique_ptr<OomMonitor> watch_oom() const override;

 private:
  // Directory of `controller`, or an error naming the missing hierarchy.
  const std::filesystem::path& dir(const std::string& controller) const;
  const std::filesystem::path* find(const std::string& controller) const;
  void apply_memory(const Resources& r);
  void set_freezer(const char* state);

  std::map<std::string, std::filesystem::path> dirs_;
};

}  // namespace skiff::cgroups
