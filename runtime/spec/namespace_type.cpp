#include <sched.h>

#include <array>
#include <cstddef>

#include "runtime/spec/spec.h"

namespace skiff::oci {

namespace {

struct NamespaceNames {
  NamespaceType type;
  std::string_view spec_name;  // linux.namespaces[].type
  std::string_view proc_name;  // /proc/PID/ns/<name>
  int clone_flag;
};

constexpr std::array<NamespaceNames, 8> kNamespaces{{
    {NamespaceType::Pid, "pid", "pid", CLONE_NEWPID},
    {NamespaceType::Network, "network", "net", CLONE_NEWNET},
    {NamespaceType::Mount, "mount", "mnt", CLONE_NEWNS},
    {NamespaceType::Ipc, "ipc", "ipc", CLONE_NEWIPC},
    {NamespaceType::Uts, "uts", "uts", CLONE_NEWUTS},
    {NamespaceType::User, "user", "user", CLONE_NEWUSER},
    {NamespaceType::Cgroup, "cgroup", "cgroup", CLONE_NEWCGROUP},
    {NamespaceType::Time, "time", "time", CLONE_NEWTIME},
}};

constexpr bool table_in_enum_order() {
  for (std::size_t i = 0; i < kNamespaces.size(); ++i) {
    if (static_cast<std::size_t>(kNamespaces[i].type) != i) return false;
  }
  return true;
}
static_assert(table_in_enum_order(), "kNamespaces is indexed by NamespaceType");

const NamespaceNames& names_of(NamespaceType type) {
  return kNamespaces.at(static_cast<std::size_t>(type));
}

}  // namespace

std::string_view to_string(NamespaceType type) {
  return names_of(type).spec_name;
}

int clone_flag(NamespaceType type) {
  return names_of(type).clone_flag;
}

std::string_view proc_ns_name(NamespaceType type) {
  return names_of(type).proc_name;
}

std::optional<NamespaceType> namespace_type_from_string(std::string_view name) {
  for (const auto& ns : kNamespaces) {
    if (ns.spec_name == name) return ns.type;
  }
  return std::nullopt;
}

const Namespace* LinuxConfig::find(NamespaceType type) const {
  for (const auto& ns : namespaces) {
    if (ns.type == type) return &ns;
  }
  return nullptr;
}

}  // namespace skiff::oci
