// cgroup v2 backend: one directory in the unified hierarchy.
#pragma once

#include "cgroups/cgroup.h"

namespace skiff::cgroups {

class V2Cgroup final : public Cgroup {
 public:
  explicit V2Cgroup(std::filesystem::path dir) : dir_(std::move(dir)) {}

  Backend backend() const override { return Backend::V2; }
  std::vector<std::filesystem::path> paths() const override { return {dir_}; }
  void add_process(pid_t pid) override;
  UniqueFd open_for_clone() const override;
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
  void set_frozen(bool frozen);
  std::filesystem::path dir_;
};

}  // namespace skiff::cgroups
