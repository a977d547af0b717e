#include "escape_battery.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace skiff::security {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kDevices = "device cgroup (v1) / device program (v2)";

std::string read_line(const fs::path& p) {
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);
  return line;
}

// "vda" for "254:0", from the kernel's own uevent file.
std::string devname(const std::string& maj_min) {
  std::ifstream in("/sys/dev/block/" + maj_min + "/uevent");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("DEVNAME=", 0) == 0) return line.substr(8);
  }
  return "block/" + maj_min;
}

}  // namespace

const std::vector<ProbeInfo>& probes() {
  static const std::vector<ProbeInfo> all = {
      {"mknod_tty0", kDevices},
      {"mknod_ttyS0", kDevices},
      {"mknod_loop_control", kDevices},
      {"mknod_net_tun", kDevices},
      {"mknod_fuse", kDevices},
      {"mknod_block_device", kDevices},
      {"read_dev_mem", std::string(kDevices) + "; no CAP_SYS_RAWIO"},
      {"read_proc_kcore", "masked path; no CAP_SYS_RAWIO"},
      {"mount_proc", "seccomp (mount); no CAP_SYS_ADMIN"},
      {"mount_sysfs", "seccomp (mount); no CAP_SYS_ADMIN"},
      {"mount_cgroup2", "seccomp (mount); no CAP_SYS_ADMIN"},
      {"write_sysrq_trigger", "read-only path"},
      {"write_proc_sys_kernel", "read-only path (/proc/sys)"},
      {"write_sys", "read-only /sys mount"},
      {"write_host_cgroup", "read-only /sys/fs/cgroup mount; cgroup namespace"},
      {"cgroup_v1_release_agent", "seccomp (mount); no CAP_SYS_ADMIN"},
      {"load_module", "seccomp; no CAP_SYS_MODULE"},
      {"ptrace_host_process", "pid namespace"},
      {"ptrace_sibling", "seccomp (ptrace)"},
      {"keyctl_add_key", "seccomp (keyctl, add_key)"},
      {"open_by_handle_at", "seccomp; no CAP_DAC_READ_SEARCH"},
      {"unshare_userns_mount", "seccomp (unshare)"},
      {"set_time", "seccomp; no CAP_SYS_TIME"},
      {"raw_socket_packet", "network namespace (CAP_NET_RAW is a default)"},
      {"raw_socket_inet", "network namespace (CAP_NET_RAW is a default)"},
  };
  return all;
}

std::map<std::string, Outcome> parse_outcomes(const std::string& out) {
  std::map<std::string, Outcome> got;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    // A line may carry a prefix (CRI log fields): parse from the first '{'.
    auto brace = line.find('{');
    if (brace == std::string::npos) continue;
    json j = json::parse(line.substr(brace), nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("probe")) continue;
    got[j.value("probe", "")] = {j.value("escaped", false), j.value("detail", "")};
  }
  return got;
}

void expect_contained(const std::map<std::string, Outcome>& got, const std::string& where,
                      const std::string& raw, const std::map<std::string, std::string>& tolerated) {
  for (const ProbeInfo& p : probes()) {
    auto it = got.find(p.name);
    if (it == got.end()) {
      ADD_FAILURE() << where << ": probe " << p.name << " reported nothing\n" << raw;
      continue;
    }
    if (auto t = tolerated.find(p.name); t != tolerated.end() && it->second.escaped) {
      std::cout << where << ": " << p.name << " got through (" << it->second.detail
                << "), tolerated: " << t->second << "\n";
      continue;
    }
    EXPECT_FALSE(it->second.escaped) << where << ": " << p.name << " ESCAPED (" << it->second.detail
                                     << "); should be stopped by: " << p.layer;
  }
}

void expect_escaped(const std::map<std::string, Outcome>& got,
                    const std::vector<std::string>& names, const std::string& where,
                    const std::string& raw) {
  for (const std::string& name : names) {
    auto it = got.find(name);
    if (it == got.end()) {
      ADD_FAILURE() << where << ": probe " << name << " reported nothing\n" << raw;
      continue;
    }
    EXPECT_TRUE(it->second.escaped)
        << where << ": control run without protection, yet " << name
        << " reports no escape: the probe cannot fail (" << it->second.detail << ")";
  }
}

HostSleeper::HostSleeper(const std::string& probe_binary)
    : marker_("skiff-escape-host-" + std::to_string(::getpid())) {
  pid_ = ::fork();
  if (pid_ == 0) {
    int devnull = ::open("/dev/null", O_RDWR);
    ::dup2(devnull, 0);
    ::dup2(devnull, 1);
    ::execl(probe_binary.c_str(), probe_binary.c_str(), "sleep", "600", marker_.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
}

HostSleeper::~HostSleeper() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

bool in_vm() {
  const char* v = std::getenv("SKIFF_IN_VM");
  return v && std::string(v) == "1";
}

std::string block_device() {
  if (in_vm()) return read_line("/sys/class/block/vda/dev");
  std::error_code ec;
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator("/sys/class/block", ec)) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  for (const std::string& n : names) {
    if (n.rfind("loop", 0) == 0 || n.rfind("ram", 0) == 0 || n.rfind("zram", 0) == 0) continue;
    if (fs::exists("/sys/class/block/" + n + "/partition")) continue;
    return read_line("/sys/class/block/" + n + "/dev");
  }
  return {};
}

std::string disk_marker() {
  const char* m = std::getenv("SKIFF_ESCAPE_DISK_MARKER");
  return m ? m : "";
}

std::vector<std::string> battery_args(const HostSleeper& sleeper, bool destructive,
                                      const std::vector<std::string>& skip) {
  std::vector<std::string> args = {"escape", "--host-pid", std::to_string(sleeper.pid()),
                                   "--host-marker", sleeper.marker()};
  if (destructive) args.push_back("--destructive");
  if (std::string b = block_device(); !b.empty()) {
    args.insert(args.end(), {"--block", b});
  }
  if (std::string m = disk_marker(); !m.empty()) args.insert(args.end(), {"--marker", m});
  if (!skip.empty()) {
    std::string list;
    for (const auto& s : skip) {
      if (!list.empty()) list += ',';
      list += s;
    }
    args.insert(args.end(), {"--skip", list});
  }
  return args;
}

namespace {

// Capability numbers 0.. in order, as <linux/capability.h> defines them.
constexpr const char* kCapNames[] = {"CAP_CHOWN",
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
                                     "CAP_CHECKPOINT_RESTORE"};

// Every capability in our bounding set: "all" as far as this host lets a runtime grant
// (some CI hosts drop CAP_SYS_RESOURCE from root's bounding set).
json all_capabilities() {
  std::ifstream in("/proc/self/status");
  unsigned long long bounding = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("CapBnd:", 0) == 0) bounding = std::stoull(line.substr(7), nullptr, 16);
  }
  json caps = json::array();
  for (unsigned i = 0; i < std::size(kCapNames); ++i) {
    if (bounding & (1ULL << i)) caps.push_back(kCapNames[i]);
  }
  return caps;
}

}  // namespace

void remove_protection(json& config) {
  json caps = all_capabilities();
  config["process"]["capabilities"] = {
      {"bounding", caps}, {"effective", caps}, {"permitted", caps}};
  config["process"]["noNewPrivileges"] = false;
  json& linux_json = config["linux"];
  linux_json.erase("seccomp");
  linux_json.erase("maskedPaths");
  linux_json.erase("readonlyPaths");
  linux_json["resources"]["devices"] = json::array({{{"allow", true}, {"access", "rwm"}}});
  json kept = json::array();
  for (const json& ns : linux_json["namespaces"]) {
    // The host's cgroup namespace too: a new cgroup v1 hierarchy (release_agent) can be
    // mounted only from the initial one.
    if (ns["type"] != "pid" && ns["type"] != "network" && ns["type"] != "cgroup") {
      kept.push_back(ns);
    }
  }
  linux_json["namespaces"] = kept;
  for (json& m : config["mounts"]) {
    if (!m.contains("options")) continue;
    json opts = json::array();
    for (const json& o : m["options"]) {
      if (o != "ro") opts.push_back(o);
    }
    m["options"] = opts;
  }
}

Controls controls_here() {
  Controls c;
  const bool vm = in_vm();
  std::string block = block_device();
  for (const ProbeInfo& p : probes()) {
    std::string reason;
    if (!vm && (p.name == "cgroup_v1_release_agent" || p.name == "load_module")) {
      reason = "destructive control: only in the VM";
      c.skip.push_back(p.name);
    } else if (!vm && p.name == "write_sysrq_trigger" && !fs::exists("/proc/sysrq-trigger")) {
      reason = "this kernel has no /proc/sysrq-trigger";
    } else if (!vm && p.name == "read_proc_kcore" && !fs::exists("/proc/kcore")) {
      reason = "this kernel has no /proc/kcore";
    } else if (p.name == "mknod_block_device" && block.empty()) {
      reason = "no disk on this machine";
    } else if (!vm && p.name == "mknod_block_device") {
      // The host's own device cgroup may refuse its disk to us; then it refuses the
      // control's container too, and only the VM can show the probe failing.
      std::string dev = "/dev/" + devname(block);
      int fd = ::open(dev.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        reason = "this test process itself cannot open " + dev + " (" + std::strerror(errno) + ")";
      } else {
        ::close(fd);
      }
    }
    if (reason.empty()) {
      c.expected.push_back(p.name);
    } else {
      c.not_here[p.name] = reason;
    }
  }
  return c;
}

}  // namespace skiff::security
