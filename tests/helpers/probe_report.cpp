// Gathers the report described in probe_report.h. Each section reads the kernel's own
// view (/proc/self, uname, get*id) and turns anything unreadable into null.
#include "probe_report.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "common/mountinfo.h"
#include "common/rlimit_names.h"
#include "probe_paths.h"

extern char** environ;

namespace skiff::probe {
namespace {

using Json = nlohmann::ordered_json;

constexpr long kCgroup2Magic = 0x63677270;  // CGROUP2_SUPER_MAGIC

std::optional<std::string> read_text(const std::string& path, size_t limit = 1 << 20) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0 || out.size() >= limit) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

Json text_or_null(const std::string& path) {
  auto s = read_text(path);
  return s ? Json(trim(*s)) : Json(nullptr);
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> lines;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// "Key:\tvalue" fields of /proc/self/status.
std::optional<std::string> status_field(const std::optional<std::string>& status,
                                        const std::string& key) {
  if (!status) return std::nullopt;
  for (const auto& line : split_lines(*status)) {
    if (line.size() > key.size() && line.compare(0, key.size(), key) == 0 &&
        line[key.size()] == ':') {
      return trim(line.substr(key.size() + 1));
    }
  }
  return std::nullopt;
}

Json identity() {
  Json j;
  j["pid"] = ::getpid();
  j["ppid"] = ::getppid();
  uid_t ru, eu, su;
  gid_t rg, eg, sg;
  bool have_uid = ::getresuid(&ru, &eu, &su) == 0;
  bool have_gid = ::getresgid(&rg, &eg, &sg) == 0;
  j["uid"] = have_uid ? Json(ru) : Json(nullptr);
  j["euid"] = have_uid ? Json(eu) : Json(nullptr);
  j["suid"] = have_uid ? Json(su) : Json(nullptr);
  j["gid"] = have_gid ? Json(rg) : Json(nullptr);
  j["egid"] = have_gid ? Json(eg) : Json(nullptr);
  j["sgid"] = have_gid ? Json(sg) : Json(nullptr);
  int n = ::getgroups(0, nullptr);
  if (n >= 0) {
    std::vector<gid_t> groups(static_cast<size_t>(n));
    n = ::getgroups(n, groups.data());
    groups.resize(n >= 0 ? static_cast<size_t>(n) : 0);
    j["groups"] = groups;
  } else {
    j["groups"] = nullptr;
  }
  mode_t mask = ::umask(0);  // umask can only be read by setting it: put it back at once
  ::umask(mask);
  char octal[8];
  std::snprintf(octal, sizeof octal, "%04o", static_cast<unsigned>(mask));
  j["umask"] = octal;
  char cwd[PATH_MAX];
  j["cwd"] = ::getcwd(cwd, sizeof cwd) ? Json(cwd) : Json(nullptr);
  struct utsname u;
  bool have_uts = ::uname(&u) == 0;
  j["hostname"] = have_uts ? Json(u.nodename) : Json(nullptr);
  j["domainname"] = have_uts ? Json(u.domainname) : Json(nullptr);
  j["uid_map"] = text_or_null("/proc/self/uid_map");
  j["gid_map"] = text_or_null("/proc/self/gid_map");
  return j;
}

Json namespaces() {
  Json j = Json::object();
  for (const char* ns :
       {"cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "time", "user", "uts"}) {
    char target[256];
    ssize_t n = ::readlink((std::string("/proc/self/ns/") + ns).c_str(), target, sizeof target);
    j[ns] = n > 0 ? Json(std::string(target, static_cast<size_t>(n))) : Json(nullptr);
  }
  return j;
}

Json int_or_null(const std::optional<std::string>& s) {
  if (!s) return nullptr;
  try {
    return std::stoi(*s);
  } catch (const std::exception&) {
    return nullptr;
  }
}

Json field_or_null(const std::optional<std::string>& status, const char* key) {
  auto v = status_field(status, key);
  return v ? Json(*v) : Json(nullptr);
}

void add_status_sections(Json& j) {
  auto status = read_text("/proc/self/status");
  Json caps = Json::object();
  for (const char* key : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}) {
    caps[key] = field_or_null(status, key);
  }
  j["capabilities"] = caps;
  auto nnp = status_field(status, "NoNewPrivs");
  j["no_new_privs"] = nnp ? Json(*nnp == "1") : Json(nullptr);
  auto mode = status_field(status, "Seccomp");
  auto filters = status_field(status, "Seccomp_filters");
  j["seccomp"] = {{"mode", int_or_null(mode)}, {"filters", int_or_null(filters)}};
}

Json rlimits() {
  auto value = [](rlim_t v) { return v == RLIM_INFINITY ? Json("unlimited") : Json(v); };
  Json j = Json::object();
  for (const auto& l : skiff::kRlimitNames) {
    struct rlimit r;
    const std::string name(l.name);
    if (::getrlimit(static_cast<__rlimit_resource>(l.resource), &r) == 0) {
      j[name] = {{"soft", value(r.rlim_cur)}, {"hard", value(r.rlim_max)}};
    } else {
      j[name] = nullptr;
    }
  }
  return j;
}

Json mounts() {
  auto text = read_text("/proc/self/mountinfo", 16 << 20);
  if (!text) return nullptr;
  Json list = Json::array();
  for (const auto& m : skiff::parse_mountinfo_text(*text)) {
    std::string propagation;
    for (const auto& o : m.optional) propagation += (propagation.empty() ? "" : " ") + o;
    list.push_back(
        {{"mount_point", m.mount_point},
         {"root", m.root},
         {"fs_type", m.fs_type},
         {"source", m.source},
         {"options", m.options},
         {"super_options", m.super_options.empty() ? Json(nullptr) : Json(m.super_options)},
         {"propagation", propagation.empty() ? "private" : propagation}});
  }
  return list;
}

Json cgroup_limits() {
  Json j = Json::object();
  auto add = [&j](const std::string& dir, const char* file) {
    auto v = read_text(dir + "/" + file);
    if (v) j[file] = trim(*v);
  };
  struct statfs fs;
  if (::statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == kCgroup2Magic) {
    for (const char* f : {"memory.max", "pids.max", "cpu.max", "cpu.weight"}) {
      add("/sys/fs/cgroup", f);
    }
  } else {
    add("/sys/fs/cgroup/memory", "memory.limit_in_bytes");
    add("/sys/fs/cgroup/pids", "pids.max");
    for (const char* f : {"cpu.cfs_quota_us", "cpu.cfs_period_us", "cpu.shares"}) {
      add("/sys/fs/cgroup/cpu", f);
    }
  }
  return j;
}

Json sysctls() {
  return {{"net.ipv4.ip_forward", text_or_null("/proc/sys/net/ipv4/ip_forward")},
          {"kernel.shm_rmid_forced", text_or_null("/proc/sys/kernel/shm_rmid_forced")}};
}

}  // namespace

int report(int argc, char** argv) {
  std::vector<std::string> checks;
  bool pretty = false;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--check-path" && i + 1 < argc) {
      checks.emplace_back(argv[++i]);
    } else if (a.rfind("--check-path=", 0) == 0) {
      checks.push_back(a.substr(13));
    } else if (a == "--pretty") {
      pretty = true;
    } else {
      std::fprintf(stderr, "skiff-probe report: unknown argument '%s'\n", a.c_str());
      return 2;
    }
  }
  Json j = identity();
  j["argv"] = std::vector<std::string>(argv, argv + argc);
  Json env = Json::array();
  for (char** e = environ; e && *e; ++e) env.push_back(*e);
  j["env"] = env;
  j["namespaces"] = namespaces();
  add_status_sections(j);
  j["rlimits"] = rlimits();
  j["oom_score_adj"] = int_or_null(read_text("/proc/self/oom_score_adj"));
  j["mounts"] = mounts();
  auto cg = read_text("/proc/self/cgroup");
  j["cgroup"] = cg ? Json(split_lines(*cg)) : Json(nullptr);
  j["cgroup_limits"] = cgroup_limits();
  j["paths"] = check_paths(checks);
  j["stdio_tty"] = {::isatty(0) == 1, ::isatty(1) == 1, ::isatty(2) == 1};
  j["sysctl"] = sysctls();
  // Replace, not throw, on bytes that are not UTF-8 (odd env values, mount sources).
  std::string out = j.dump(pretty ? 2 : -1, ' ', false, Json::error_handler_t::replace);
  out.push_back('\n');
  return std::fwrite(out.data(), 1, out.size(), stdout) == out.size() && std::fflush(stdout) == 0
             ? 0
             : 1;
}

}  // namespace skiff::probe
