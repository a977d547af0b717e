// Docker's capability arithmetic: a default set, then --cap-add / --cap-drop.
#include <algorithm>
#include <cctype>

#include "common/error.h"
#include "image/bundle/bundle.h"

namespace skiff::image {
namespace {

// Every capability up to Linux 5.9 (CAP_CHECKPOINT_RESTORE), for "ALL" and validation.
constexpr const char* kAllCapabilities[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

// "net_admin" / "CAP_NET_ADMIN" -> "CAP_NET_ADMIN"; "ALL" stays "ALL".
std::string normalize(const std::string& name, const std::string& field) {
  std::string up;
  for (char c : name) up.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  if (up == "ALL") return up;
  if (up.rfind("CAP_", 0) != 0) up = "CAP_" + up;
  for (const char* known : kAllCapabilities) {
    if (up == known) return up;
  }
  throw Error(field + ": unknown capability \"" + name + "\"");
}

std::vector<std::string> normalize_all(const std::vector<std::string>& names,
                                       const std::string& field) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    out.push_back(normalize(names[i], field + "[" + std::to_string(i) + "]"));
  }
  return out;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

void add_unique(std::vector<std::string>& v, const std::string& s) {
  if (s != "ALL" && !contains(v, s)) v.push_back(s);
}

}  // namespace

const std::vector<std::string>& default_capabilities() {
  static const std::vector<std::string> caps = {
      "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
      "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
      "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
      "CAP_KILL",    "CAP_AUDIT_WRITE",
  };
  return caps;
}

std::vector<std::string> effective_capabilities(const BundleOverrides& o) {
  const std::vector<std::string> add = normalize_all(o.cap_add, "overrides.capAdd");
  const std::vector<std::string> drop = normalize_all(o.cap_drop, "overrides.capDrop");
  std::vector<std::string> caps;
  if (contains(add, "ALL")) {
    // Everything except what is dropped by name (dropping ALL too would be meaningless).
    for (const char* c : kAllCapabilities) {
      if (!contains(drop, c)) caps.push_back(c);
    }
  } else if (contains(drop, "ALL")) {
    for (const std::string& c : add) add_unique(caps, c);
  } else {
    for (const std::string& c : default_capabilities()) {
      if (!contains(drop, c)) caps.push_back(c);
    }
    for (const std::string& c : add) add_unique(caps, c);
  }
  return caps;
}

}  // namespace skiff::image
