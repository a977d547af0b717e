// Namespaces the container creates (clone flags) or joins (paths in linux.namespaces).
#pragma once

#include <sys/types.h>

#include <vector>

#include "common/unique_fd.h"
#include "runtime/spec/spec.h"

namespace skiff::runtime {

// CLONE_NEW* for every namespace the spec asks for without a path.
unsigned long new_namespace_flags(const oci::LinuxConfig& linux_config);

struct JoinFd {
  oci::NamespaceType type;
  UniqueFd fd;
};

// Opens every namespace path up front (in the runtime's own view), so a bad path fails with
// "linux.namespaces[2].path: open /proc/1234/ns/net: No such file..." before anything starts.
std::vector<JoinFd> open_join_fds(const oci::LinuxConfig& linux_config);

// setns() into each opened namespace; the user namespace goes first, because it grants the
// capabilities needed to join the others. The pid namespace is skipped: it only affects
// children, so the parent joins it before cloning (join_pid_namespace_for_children).
void join_namespaces(const std::vector<JoinFd>& fds);
void join_pid_namespace_for_children(const std::vector<JoinFd>& fds);

// Writes /proc/PID/{uid_map,gid_map} for a child in a new user namespace.
void write_id_maps(pid_t pid, const oci::LinuxConfig& linux_config);

}  // namespace skiff::runtime
