// The container's first process, between clone and execve: the ordered list of steps that
// turns a fresh set of namespaces into the container the spec describes.
#pragma once

#include <filesystem>
#include <vector>

#include "cgroups/self_move.h"
#include "runtime/namespaces.h"
#include "runtime/rootfs.h"
#include "runtime/security/seccomp_filter.h"
#include "runtime/spec/spec.h"
#include "runtime/sync_socket.h"

namespace skiff::runtime {

struct InitContext {
  const oci::Spec& spec;
  std::filesystem::path rootfs;
  SyncSocket& sync;    // the child's end
  int exec_fifo = -1;  // O_PATH fd of exec.fifo; reopened for writing to wait for `start`
  int lock_fd = -1;    // the parent's container lock: closed at once, or `start` would block
  bool no_pivot = false;
  bool new_user_namespace = false;
  // v1 cannot clone straight into the cgroup, so the cgroup namespace is made only once we
  // have moved ourselves (its root is the cgroup we are in when it is created).
  bool unshare_cgroup_namespace = false;
  cgroups::SelfMove* join_cgroup = nullptr;    // set where clone3 could not place us
  security::SeccompFilter* seccomp = nullptr;  // linux.seccomp, prepared by the parent
  CgroupView cgroup;
  const std::vector<JoinFd>& joins;
  int preserve_fds = 0;  // fds 3..3+N-1 stay open across exec (socket activation)
  // False: no mount namespace in the config. The parent has bound the rootfs onto itself in
  // the runtime's mount namespace; the init mounts beneath it and chroots, and leaves the
  // propagation of the shared tree alone.
  bool own_mount_namespace = true;
};

// Runs in the cloned child and never returns. A failing step is reported over the sync
// socket as "<step>: <what failed>" before the child exits, so `create` can say exactly
// what went wrong instead of "child exited 1".
[[noreturn]] void container_init(InitContext& ctx) noexcept;

// Marks every fd above stdio and the `preserve` range (3..3+preserve-1, socket activation)
// close-on-exec, and clears close-on-exec inside that range.
void close_fds_on_exec(int preserve);

// PATH lookup as the container sees it (after pivot_root): the spec's PATH, or the default.
// Throws skiff::Error like runc's "exec: "x": executable file not found in $PATH".
std::string resolve_executable(const std::string& arg0, const std::vector<std::string>& env);

}  // namespace skiff::runtime
