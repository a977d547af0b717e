// The commands that act on an existing container: state, start, kill, delete, pause,
// resume, update, ps and list. Each takes the container's lock while it changes anything.
#pragma once

#include <sys/types.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cgroups/cgroup.h"
#include "runtime/container_state.h"
#include "runtime/state_dir.h"
#include "runtime/warnings.h"

namespace skiff::runtime {

// A loaded container with its live status derived from the kernel.
struct Container {
  ContainerState state;
  Status status;
  std::unique_ptr<cgroups::Cgroup> cgroup;  // null when its cgroup is gone
};

// Throws skiff::Error `container "ID" does not exist` (podman matches that text).
Container load_container(const StateDir& dir, const std::string& id);
std::vector<Container> list_containers(const StateDir& dir);

// A failing poststart hook is a warning (the spec), given to `warn`.
void start_container(const StateDir& dir, const std::string& id, const WarningSink& warn);
void kill_container(const StateDir& dir, const std::string& id, int signal, bool all);
// A failing poststop hook is a warning, given to `warn`; the delete carries on.
void delete_container(const StateDir& dir, const std::string& id, bool force,
                      const WarningSink& warn);
void pause_container(const StateDir& dir, const std::string& id);
void resume_container(const StateDir& dir, const std::string& id);
// `resources` is an OCI LinuxResources object (runc update --resources).
void update_container(const StateDir& dir, const std::string& id, const nlohmann::json& resources);
std::vector<pid_t> container_pids(const StateDir& dir, const std::string& id);

// "TERM", "SIGTERM", "15" -> 15; throws naming the bad value.
int parse_signal(const std::string& text);

}  // namespace skiff::runtime
