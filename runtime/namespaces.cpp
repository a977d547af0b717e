#include "runtime/namespaces.h"

#include <fcntl.h>
#include <sched.h>

#include <algorithm>
#include <string>

#include "common/error.h"
#include "common/file_io.h"

namespace skiff::runtime {

unsigned long new_namespace_flags(const oci::LinuxConfig& lc) {
  unsigned long flags = 0;
  for (const auto& ns : lc.namespaces) {
    if (ns.path.empty()) flags |= static_cast<unsigned long>(oci::clone_flag(ns.type));
  }
  return flags;
}

std::vector<JoinFd> open_join_fds(const oci::LinuxConfig& lc) {
  std::vector<JoinFd> out;
  for (size_t i = 0; i < lc.namespaces.size(); ++i) {
    const auto& ns = lc.namespaces[i];
    if (ns.path.empty()) continue;
    UniqueFd fd(::open(ns.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
      SysError e("open", ns.path, errno);
      throw oci::SpecError("linux.namespaces[" + std::to_string(i) + "].path: " + e.what());
    }
    out.push_back({ns.type, std::move(fd)});
  }
  // The user namespace first: joining it grants what joining the others needs.
  std::stable_partition(out.begin(), out.end(),
                        [](const JoinFd& j) { return j.type == oci::NamespaceType::User; });
  return out;
}

void join_namespaces(const std::vector<JoinFd>& fds) {
  for (const auto& j : fds) {
    if (j.type == oci::NamespaceType::Pid) continue;
    if (::setns(j.fd.get(), oci::clone_flag(j.type)) != 0) {
      throw_errno(std::string("setns ") + std::string(oci::to_string(j.type)) + " namespace",
                  "fd " + std::to_string(j.fd.get()));
    }
  }
}

void join_pid_namespace_for_children(const std::vector<JoinFd>& fds) {
  for (const auto& j : fds) {
    if (j.type == oci::NamespaceType::Pid && ::setns(j.fd.get(), CLONE_NEWPID) != 0) {
      throw_errno("setns pid namespace", "fd " + std::to_string(j.fd.get()));
    }
  }
}

void write_id_maps(pid_t pid, const oci::LinuxConfig& lc) {
  auto format = [](const std::vector<oci::IdMapping>& maps) {
    std::string out;
    for (const auto& m : maps) {
      out += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " +
             std::to_string(m.size) + "\n";
    }
    return out;
  };
  const std::string proc = "/proc/" + std::to_string(pid);
  if (!lc.uid_mappings.empty()) write_file(proc + "/uid_map", format(lc.uid_mappings));
  if (!lc.gid_mappings.empty()) write_file(proc + "/gid_map", format(lc.gid_mappings));
}

}  // namespace skiff::runtime
