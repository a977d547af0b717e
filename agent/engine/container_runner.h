// The real work behind the engine's state machine (ContainerOps): task cgroups, bundles
// (image service), shims (skiff-shim runs `skiff-runtime create`) and the runtime's short
// commands.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/engine/container_ops.h"
#include "agent/engine/paths.h"
#include "agent/engine/runtime_client.h"
#include "agent/engine/task_model.h"
#include "agent/engine/task_record.h"
#include "agent/shim/shim_client.h"
#include "cgroups/cgroup.h"
#include "cgroups/manager.h"
#include "image/service/images.h"

namespace skiff::agent {

struct RunnerConfig {
  Paths paths;
  std::filesystem::path runtime_binary;
  std::filesystem::path shim_binary;
  // Task cgroups are "<cgroup_parent>/<task-id>" beneath the agent's own cgroup.
  std::string cgroup_parent = "skiff";
  // Empty: beneath the agent's own cgroup (systemd's Delegate=yes). Else an absolute cgroup
  // path delegated to us (a test VM's /ci); container cgroupsPath is then absolute too.
  std::string cgroup_root;
  std::string hostname;
  // A static init for linuxParameters.initProcessEnabled (catatonit, tini-static); empty:
  // none on this host, and such containers fail with a reason saying so.
  std::filesystem::path init_binary;
};

class ContainerRunner final : public ContainerOps {
 public:
  ContainerRunner(RunnerConfig config, image::Images& images);

  const RunnerConfig& config() const { return config_; }
  const RuntimeClient& runtime() const { return runtime_; }

  // Creates the task's cgroup with the task-level cpu/memory limits; an existing one (an
  // agent restart) is kept.
  void ensure_task_cgroup(const TaskRecord& task, const TaskDefinition& def) override;
  void remove_task_cgroup(const std::string& task_id) override;
  // Scratch volumes and the metadata file (mounted read-only at /skiff in every container),
  // if the task's metadata dir does not exist yet.
  void ensure_task_dirs(const TaskRecord& task, const TaskDefinition& def) override;
  void write_metadata(const TaskRecord& task) override;

  // Bundle + shim, which creates and starts the container with one `run --detach` (one
  // runtime exec instead of two): on return it runs and c.shim_pid / c.pid are set. On
  // failure everything made so far is removed and skiff::Error says what failed.
  void create_and_start(const TaskRecord& task, const TaskDefinition& def,
                        const ContainerDefinition& cd, ContainerRecord& c) override;
  void start(const ContainerRecord& c) override { runtime_.start(c.runtime_id); }
  void signal(const ContainerRecord& c, int sig, bool all = false) override;
  // `skiff-runtime exec`, in the background, its output capped at 4 KiB.
  std::unique_ptr<Probe> exec_probe(const ContainerRecord& c,
                                    const std::vector<std::string>& command) override;
  // Removes the runtime container, the bundle (unmounting its rootfs) and the shim state.
  // Safe on anything half-made, and repeatable.
  void cleanup(const TaskRecord& task, const ContainerRecord& c) override;
  // SIGKILLs every process with `id` as a whole argument (a shim or `skiff-runtime create`
  // still in flight from before an agent crash) and waits until they are gone.
  void kill_in_flight(const std::string& id) override;

  // From the shim's state.json, checked against /proc (shim_alive()).
  std::optional<ShimInfo> live_shim(const TaskRecord& task, const ContainerRecord& c) override;
  // A pidfd on the shim, polled by the engine's loop.
  std::unique_ptr<ExitWatch> watch_exit(const TaskRecord& task, const ContainerRecord& c) override;
  // The shim's exit.json.
  std::optional<ExitStatus> exit_status(const TaskRecord& task, const ContainerRecord& c) override;
  std::optional<std::string> runtime_status(const ContainerRecord& c) override {
    return runtime_.status(c.runtime_id);
  }
  // The container cgroup saw an OOM kill (read before cleanup removes the cgroup).
  bool oom_killed(const TaskRecord& task, const ContainerRecord& c) override;
  std::optional<cgroups::Stats> stats(const TaskRecord& task, const ContainerRecord& c) override;
  // The image's StopSignal (SIGTERM if it names none or an unknown one).
  int stop_signal(const std::string& image) override;

  // The directories in the runtime root (a leading dot is the runtime's own, skipped).
  std::vector<std::string> runtime_containers() override;
  void remove_runtime_container(const std::string& runtime_id) override {
    runtime_.remove(runtime_id);
  }

 private:
  std::string container_cgroup(const std::string& task_id, const std::string& name) const;
  std::string runtime_cgroup_path(const std::string& task_id, const std::string& name) const;

  RunnerConfig config_;
  image::Images& images_;
  RuntimeClient runtime_;
  cgroups::Manager cgroups_;
};

// "SIGTERM", "TERM" or "15" -> 15; 0 if unknown.
int parse_signal(const std::string& text);

}  // namespace skiff::agent
