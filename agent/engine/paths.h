// Where the agent keeps things. Everything is derived from three roots so tests can run
// several agents side by side.
//
//   STATE (/var/lib/skiff)
//   ├── images/                          image store (image/store/content_store.h)
//   └── agent/
//       ├── instance.json                this host's identity (and later its registration)
//       └── tasks/<task-id>/
//           ├── task.json                desired + known state, written atomically
//           ├── metadata/task.json       task metadata, mounted read-only at /skiff
//           ├── volumes/<name>/          task-scoped scratch volumes
//           └── containers/<name>/
//               ├── shim/                skiff-shim's shim.json and exit.json
//               └── bundle/              config.json + rootfs (overlay mount)
//   RUN (/run/skiff)                     tmpfs: gone at reboot, like the containers
//   ├── agent.sock                       local API (root only)
//   ├── netns/<task-id>-<container>      disableNetworking: its namespace, bind-mounted
//   └── runtime/                         skiff-runtime --root
//   LOGS (/var/log/skiff)
//   └── tasks/<task-id>/<container>.log  CRI-format lines, rotated by skiff-shim
#pragma once

#include <filesystem>
#include <string>

namespace skiff::agent {

struct Paths {
  std::filesystem::path state = "/var/lib/skiff";
  std::filesystem::path run = "/run/skiff";
  std::filesystem::path logs = "/var/log/skiff";

  std::filesystem::path image_store() const { return state / "images"; }
  std::filesystem::path agent_dir() const { return state / "agent"; }
  std::filesystem::path tasks_dir() const { return agent_dir() / "tasks"; }
  std::filesystem::path task_dir(const std::string& task) const { return tasks_dir() / task; }
  std::filesystem::path task_file(const std::string& task) const {
    return task_dir(task) / "task.json";
  }
  std::filesystem::path metadata_dir(const std::string& task) const {
    return task_dir(task) / "metadata";
  }
  std::filesystem::path volume_dir(const std::string& task, const std::string& volume) const {
    return task_dir(task) / "volumes" / volume;
  }
  std::filesystem::path container_dir(const std::string& task, const std::string& name) const {
    return task_dir(task) / "containers" / name;
  }
  std::filesystem::path shim_dir(const std::string& task, const std::string& name) const {
    return container_dir(task, name) / "shim";
  }
  std::filesystem::path bundle_dir(const std::string& task, const std::string& name) const {
    return container_dir(task, name) / "bundle";
  }
  std::filesystem::path api_socket() const { return run / "agent.sock"; }
  std::filesystem::path runtime_root() const { return run / "runtime"; }
  std::filesystem::path netns_file(const std::string& task, const std::string& name) const {
    return run / "netns" / (task + "-" + name);
  }
  std::filesystem::path log_file(const std::string& task, const std::string& name) const {
    return logs / "tasks" / task / (name + ".log");
  }
};

}  // namespace skiff::agent
