// What `skiff-runtime spec` writes: runc's template, with Docker's default capability set
// and a non-terminal process, so the result runs from scripts as it is.
#include "runtime/spec/hardening.h"
#include "runtime/spec/spec.h"

namespace skiff::oci {

nlohmann::json default_spec() {
  using json = nlohmann::json;
  const json caps(hardening::kDefaultCapabilities);
  auto mount = [](const char* destination, const char* type, const char* source,
                  std::initializer_list<const char*> options) {
    json m = {{"destination", destination}, {"type", type}, {"source", source}};
    if (options.size() != 0) {
      json list = json::array();
      for (const char* option : options) list.push_back(option);
      m["options"] = list;
    }
    return m;
  };
  json namespaces = json::array();
  for (const char* type : {"pid", "network", "ipc", "uts", "mount", "cgroup"}) {
    namespaces.push_back({{"type", type}});
  }
  return {
      {"ociVersion", "1.1.0"},
      {"process",
       {
           {"terminal", false},
           {"user", {{"uid", 0}, {"gid", 0}}},
           {"args", {"sh"}},
           {"env",
            {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"}},
           {"cwd", "/"},
           {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
           {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}}},
           {"noNewPrivileges", true},
       }},
      {"root", {{"path", "rootfs"}, {"readonly", true}}},
      {"hostname", "skiff"},
      {"mounts",
       {
           mount("/proc", "proc", "proc", {}),
           mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
           mount("/dev/pts", "devpts", "devpts",
                 {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}),
           mount("/dev/shm", "tmpfs", "shm",
                 {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}),
           mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
           mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
           mount("/sys/fs/cgroup", "cgroup", "cgroup",
                 {"nosuid", "noexec", "nodev", "relatime", "ro"}),
       }},
      {"linux",
       {
           {"resources", {{"devices", {{{"allow", false}, {"access", "rwm"}}}}}},
           {"namespaces", namespaces},
           {"maskedPaths", json(hardening::kMaskedPaths)},
           {"readonlyPaths", json(hardening::kReadonlyPaths)},
       }},
  };
}

}  // namespace skiff::oci
