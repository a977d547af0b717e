// Where skiff-runtime keeps per-container state (the --root directory).
//
//   /run/skiff-runtime/              --root (tmpfs: state dies with the host, as runc's)
//   └── <container-id>/
//       ├── state.json               ContainerState, replaced atomically (temp + rename)
//       ├── exec.fifo                exists from create until start: init blocks on it
//       └── lock                     flock()ed by any command that changes the container
//   └── .seccomp-cache/              generated seccomp programs (runtime/seccomp_cache.h); the
//                                    dot keeps it apart from container ids
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "common/unique_fd.h"

namespace skiff::runtime {

class StateDir {
 public:
  explicit StateDir(std::filesystem::path root) : root_(std::move(root)) {}

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path container(std::string_view id) const { return root_ / std::string(id); }
  std::filesystem::path state_file(std::string_view id) const {
    return container(id) / "state.json";
  }
  std::filesystem::path exec_fifo(std::string_view id) const { return container(id) / "exec.fifo"; }
  std::filesystem::path lock_file(std::string_view id) const { return container(id) / "lock"; }
  std::filesystem::path seccomp_cache() const { return root_ / ".seccomp-cache"; }

 private:
  std::filesystem::path root_;
};

// Container IDs become directory and cgroup names: letters, digits, '_', '-', '.', no
// leading dot, at most 1024 bytes (runc's rule). Throws skiff::Error otherwise.
void validate_container_id(std::string_view id);

// Holds an exclusive flock on a container's lock file for the lifetime of the object.
class ContainerLock {
 public:
  explicit ContainerLock(const std::filesystem::path& lock_file);
  // A cloned child shares the lock until it closes this fd (flock belongs to the open
  // file, and close-on-exec only acts at exec).
  int fd() const { return fd_.get(); }

 private:
  UniqueFd fd_;
};

}  // namespace skiff::runtime
