// The escape battery's attacks (shape in probe_escape.h). Each probe is a function that
// tries one thing and says how far it got; errno names make the detail readable in a test
// failure ("mknod ok; open: EPERM").
#include "probe_escape.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/keyctl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace skiff::probe {
namespace {

struct Result {
  bool escaped = false;
  std::string detail;
};

struct Options {
  bool destructive = false;
  bool has_block = false;
  unsigned block_major = 0, block_minor = 0;
  std::string marker;
  long host_pid = 0;
  std::string host_marker;
  std::set<std::string> only, skip;
};

std::string err_name(int e) {
  const char* name = ::strerrorname_np(e);
  std::string n = name ? name : "errno " + std::to_string(e);
  return n + " (" + std::strerror(e) + ")";
}

std::string failed(const std::string& op) {
  return op + ": " + err_name(errno);
}

// A "permission" errno: the gate held. Anything else from a privileged call means the
// kernel let the caller through to the code behind the check.
bool gate_held(int e) {
  return e == EPERM || e == EACCES || e == EROFS || e == ENOSYS;
}

// Runs `fn` in a child (for attacks that change the caller: unshare, keyrings, ptrace) and
// returns its result over a pipe. The child never returns into the battery.
Result in_child(const std::function<Result()>& fn) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return {false, failed("pipe2")};
  pid_t pid = ::fork();
  if (pid < 0) return {false, failed("fork")};
  if (pid == 0) {
    ::close(p[0]);
    Result r = fn();
    std::string msg = (r.escaped ? "1" : "0") + r.detail;
    ssize_t n = ::write(p[1], msg.data(), msg.size());
    ::_exit(n == static_cast<ssize_t>(msg.size()) ? 0 : 1);
  }
  ::close(p[1]);
  std::string msg;
  char buf[512];
  for (ssize_t n; (n = ::read(p[0], buf, sizeof buf)) > 0;) msg.append(buf, static_cast<size_t>(n));
  ::close(p[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (msg.empty())
    return {false, "child died without a result (status " + std::to_string(status) + ")"};
  return {msg[0] == '1', msg.substr(1)};
}

// Scratch place for nodes and mount points: /dev is the container's own tmpfs without
// nodev (as Docker's), never the shared rootfs.
std::string scratch(const std::string& name) {
  return "/dev/.escape-" + name;
}

// mknod, then open: a device cgroup (v1) or device program (v2) refuses the open (and on
// v1 the mknod) with EPERM; any other outcome reached the driver.
Result device(const std::string& name, mode_t type, unsigned maj, unsigned min, int flags,
              const std::function<std::string(int fd)>& use = {}) {
  std::string path = scratch(name);
  ::unlink(path.c_str());
  if (::mknod(path.c_str(), type | 0600, ::makedev(maj, min)) != 0) {
    return {false, failed("mknod " + std::to_string(maj) + ":" + std::to_string(min))};
  }
  int fd = ::open(path.c_str(), flags | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  int e = errno;
  ::unlink(path.c_str());
  if (fd < 0) {
    errno = e;
    return {!gate_held(e), "mknod ok; " + failed("open")};
  }
  std::string more = use ? "; " + use(fd) : "";
  ::close(fd);
  return {true, "mknod ok; open ok" + more};
}

Result block_device(const Options& o) {
  if (!o.has_block) return {false, "no --block given"};
  return device("block", S_IFBLK, o.block_major, o.block_minor, O_RDONLY, [&](int fd) {
    char buf[4096];
    ssize_t n = ::pread(fd, buf, sizeof buf, 0);
    if (n < 0) return failed("read");
    std::string data(buf, static_cast<size_t>(n));
    std::string out = "read " + std::to_string(n) + " bytes";
    if (!o.marker.empty()) {
      out += data.find(o.marker) != std::string::npos ? ", marker found" : ", no marker";
    }
    if (o.destructive && n > 0) {
      // The first sector written back unchanged: proves write access without damage.
      std::string path = scratch("block-rw");
      ::mknod(path.c_str(), S_IFBLK | 0600, ::makedev(o.block_major, o.block_minor));
      int rw = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
      ::unlink(path.c_str());
      if (rw < 0) return out + "; " + failed("open O_RDWR");
      ssize_t w = ::pwrite(rw, buf, 512, 0);
      out += w == 512 ? "; first sector written back" : "; " + failed("write");
      ::close(rw);
    }
    return out;
  });
}

Result dev_mem() {
  return device("mem", S_IFCHR, 1, 1, O_RDONLY, [](int fd) {
    char c[16];
    ssize_t n = ::pread(fd, c, sizeof c, 0);
    return n < 0 ? failed("read") : "read " + std::to_string(n) + " bytes of physical memory";
  });
}

Result mount_fs(const char* type, const char* source, const char* data) {
  std::string dir = scratch(std::string("mnt-") + type);
  ::mkdir(dir.c_str(), 0700);
  if (::mount(source, dir.c_str(), type, MS_NOSUID | MS_NODEV | MS_NOEXEC, data) != 0) {
    Result r{false, failed(std::string("mount ") + type)};
    ::rmdir(dir.c_str());
    return r;
  }
  ::umount2(dir.c_str(), MNT_DETACH);
  ::rmdir(dir.c_str());
  return {true, std::string("mounted ") + type};
}

std::string read_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

// Opens a kernel file for writing; with --destructive writes `value` (or what it read back
// when `value` is empty, i.e. an unchanged setting).
Result write_kernel_file(const std::string& path, const std::string& value, bool destructive) {
  if (::access(path.c_str(), F_OK) != 0) return {false, path + ": " + err_name(errno)};
  std::string current = read_file(path);
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    return {!gate_held(errno), failed("open " + path + " for writing")};
  }
  std::string out = "opened " + path + " for writing";
  if (destructive) {
    std::string v = value.empty() ? current : value;
    ssize_t n = ::write(fd, v.data(), v.size());
    out += n >= 0 ? "; wrote \"" + v.substr(0, v.find('\n')) + "\"" : "; " + failed("write");
  } else {
    out += " (not written: no --destructive)";
  }
  ::close(fd);
  return {true, out};
}

Result sysfs_write(bool destructive) {
  // Writable-by-root sysfs knobs, the classic uevent_helper first; the first that exists.
  for (const char* p : {"/sys/kernel/uevent_helper", "/sys/kernel/mm/transparent_hugepage/enabled",
                        "/sys/kernel/rcu_expedited", "/sys/kernel/profiling"}) {
    if (::access(p, F_OK) == 0) {
      std::string value;
      if (std::string(p).find("transparent_hugepage") != std::string::npos) {
        std::string cur = read_file(p);  // "always [madvise] never": write the bracketed one
        auto a = cur.find('['), b = cur.find(']');
        if (a != std::string::npos && b != std::string::npos) value = cur.substr(a + 1, b - a - 1);
      }
      return write_kernel_file(p, value, destructive);
    }
  }
  return {false, "no known writable sysfs file exists"};
}

Result read_kcore() {
  int fd = ::open("/proc/kcore", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {false, failed("open /proc/kcore")};
  char buf[64];
  ssize_t n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  if (n < 0) return {false, "open ok; " + failed("read")};
  if (n == 0) return {false, "open ok; read 0 bytes (masked)"};
  return {true, "read " + std::to_string(n) + " bytes of /proc/kcore"};
}

Result load_module() {
  // Garbage, never a module: the loader rejects it (ENOEXEC) once past the permission check.
  static const char junk[64] = "skiff escape battery: not an ELF module";
  long rc = ::syscall(SYS_init_module, junk, sizeof junk, "");
  if (rc == 0) return {true, "init_module accepted garbage?"};
  const bool held = gate_held(errno);
  return {!held, failed("init_module") + (held ? "" : " (reached the loader)")};
}

Result ptrace_attach(pid_t target, const std::string& what) {
  return in_child([&] {
    if (::ptrace(PTRACE_SEIZE, target, nullptr, nullptr) != 0) {
      return Result{false, what + "; " + failed("ptrace(PTRACE_SEIZE)")};
    }
    return Result{true, what + "; ptrace attached"};  // our exit detaches
  });
}

Result ptrace_host(const Options& o) {
  if (o.host_pid <= 0 || o.host_marker.empty()) return {false, "no --host-pid/--host-marker given"};
  std::string pid = std::to_string(o.host_pid);
  std::string cmdline = read_file("/proc/" + pid + "/cmdline");
  for (char& c : cmdline) {
    if (c == '\0') c = ' ';
  }
  if (cmdline.find(o.host_marker) == std::string::npos) {
    return {false, "host pid " + pid + " not visible (pid namespace)"};
  }
  return ptrace_attach(static_cast<pid_t>(o.host_pid), "host pid " + pid + " visible");
}

Result ptrace_sibling() {
  pid_t sleeper = ::fork();
  if (sleeper < 0) return {false, failed("fork")};
  if (sleeper == 0) {
    for (;;) ::pause();
  }
  // The attacker is a sibling, not the sleeper's parent.
  Result r = ptrace_attach(sleeper, "sibling " + std::to_string(sleeper));
  ::kill(sleeper, SIGKILL);
  ::waitpid(sleeper, nullptr, 0);
  return r;
}

Result keyring() {
  return in_child([] {
    if (::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, nullptr) < 0) {
      return Result{false, failed("keyctl(JOIN_SESSION_KEYRING)")};
    }
    long key = ::syscall(SYS_add_key, "user", "skiff-escape", "x", 1, KEY_SPEC_SESSION_KEYRING);
    if (key < 0) return Result{false, "joined a session keyring; " + failed("add_key")};
    ::syscall(SYS_keyctl, KEYCTL_REVOKE, key);
    return Result{true, "joined a session keyring, added a key"};
  });
}

Result open_by_handle() {
  // The "shocker" handle: inode 2 (an ext4 root) of the filesystem under "/".
  struct {
    unsigned int handle_bytes;
    int handle_type;
    unsigned int ino, gen;
  } fh = {8, 1, 2, 0};
  int mfd = ::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (mfd < 0) return {false, failed("open /")};
  long fd = ::syscall(SYS_open_by_handle_at, mfd, &fh, O_RDONLY | O_CLOEXEC);
  int e = errno;
  ::close(mfd);
  if (fd >= 0) {
    ::close(static_cast<int>(fd));
    return {true, "opened inode 2 by handle"};
  }
  errno = e;
  return {!gate_held(e),
          failed("open_by_handle_at") + (gate_held(e) ? "" : " (reached the filesystem)")};
}

Result release_agent(bool destructive) {
  std::string dir = scratch("cgv1");
  ::mkdir(dir.c_str(), 0700);
  if (::mount("cgroup", dir.c_str(), "cgroup", 0, "none,name=skiffescape") != 0) {
    Result r{false, failed("mount cgroup v1")};
    ::rmdir(dir.c_str());
    return r;
  }
  Result r = write_kernel_file(dir + "/release_agent", "/bin/true", destructive);
  r.detail = "mounted cgroup v1; " + r.detail;
  ::umount2(dir.c_str(), MNT_DETACH);
  ::rmdir(dir.c_str());
  return r;
}

Result host_cgroup_files() {
  // Every cgroup.procs in the top two levels of the container's /sys/fs/cgroup (v2: its
  // own cgroup; v1: one per hierarchy).
  std::vector<std::string> files = {"/sys/fs/cgroup/cgroup.procs"};
  if (auto* d = ::opendir("/sys/fs/cgroup")) {
    while (auto* e = ::readdir(d)) {
      if (e->d_name[0] != '.')
        files.push_back(std::string("/sys/fs/cgroup/") + e->d_name + "/cgroup.procs");
    }
    ::closedir(d);
  }
  std::string first_error;
  int tried = 0;
  for (const auto& f : files) {
    if (::access(f.c_str(), F_OK) != 0) continue;
    ++tried;
    int fd = ::open(f.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
      ::close(fd);
      return {true, "opened " + f + " for writing"};
    }
    if (first_error.empty()) first_error = failed("open " + f + " for writing");
  }
  if (tried == 0) return {false, "no cgroup.procs visible under /sys/fs/cgroup"};
  return {false, std::to_string(tried) + " cgroup.procs files refused, first: " + first_error};
}

Result unshare_mount() {
  return in_child([] {
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
      return Result{false, failed("unshare(CLONE_NEWUSER|CLONE_NEWNS)")};
    }
    if (::mount("none", "/dev", "tmpfs", 0, nullptr) != 0) {
      return Result{false, "unshare ok; " + failed("mount tmpfs")};
    }
    return Result{true, "unshare ok; mounted tmpfs in the new namespaces"};
  });
}

Result set_time(bool destructive) {
  // Both NULL: the capability check runs, nothing changes.
  if (::syscall(SYS_settimeofday, nullptr, nullptr) != 0) {
    return {!gate_held(errno), failed("settimeofday")};
  }
  std::string out = "settimeofday(NULL, NULL) passed the CAP_SYS_TIME check";
  if (destructive) {
    struct timespec now;
    ::clock_gettime(CLOCK_REALTIME, &now);
    out +=
        ::clock_settime(CLOCK_REALTIME, &now) == 0 ? "; clock set" : "; " + failed("clock_settime");
  }
  return {true, out};
}

// A raw socket is Docker's default (CAP_NET_RAW); it is an escape only where it can reach
// a real interface, i.e. outside a network namespace that holds just lo.
Result raw_socket(int domain, int type, int protocol, const char* what) {
  int fd = ::socket(domain, type | SOCK_CLOEXEC, protocol);
  if (fd < 0) return {false, failed(std::string("socket ") + what)};
  ::close(fd);
  std::string names;
  bool beyond_lo = false;
  if (struct if_nameindex* ifs = ::if_nameindex()) {
    for (auto* i = ifs; i->if_index != 0; ++i) {
      if (!names.empty()) names += ',';  // (GCC 12 -Wrestrict misfires on "a" + string)
      names += i->if_name;
      if (std::strcmp(i->if_name, "lo") != 0) beyond_lo = true;
    }
    ::if_freenameindex(ifs);
  }
  return {beyond_lo, std::string(what) + " socket ok; interfaces: " + names};
}

struct Probe {
  const char* name;
  std::function<Result(const Options&)> run;
};

const std::vector<Probe>& probes() {
  static const std::vector<Probe> all = {
      {"mknod_tty0", [](const Options&) { return device("tty0", S_IFCHR, 4, 0, O_RDONLY); }},
      {"mknod_ttyS0", [](const Options&) { return device("ttyS0", S_IFCHR, 4, 64, O_RDONLY); }},
      {"mknod_loop_control",
       [](const Options&) { return device("loop-control", S_IFCHR, 10, 237, O_RDONLY); }},
      {"mknod_net_tun", [](const Options&) { return device("tun", S_IFCHR, 10, 200, O_RDWR); }},
      {"mknod_fuse", [](const Options&) { return device("fuse", S_IFCHR, 10, 229, O_RDWR); }},
      {"mknod_block_device", [](const Options& o) { return block_device(o); }},
      {"read_dev_mem", [](const Options&) { return dev_mem(); }},
      {"read_proc_kcore", [](const Options&) { return read_kcore(); }},
      {"mount_proc", [](const Options&) { return mount_fs("proc", "proc", nullptr); }},
      {"mount_sysfs", [](const Options&) { return mount_fs("sysfs", "sysfs", nullptr); }},
      {"mount_cgroup2", [](const Options&) { return mount_fs("cgroup2", "cgroup2", nullptr); }},
      {"write_sysrq_trigger",
       [](const Options& o) {
         return write_kernel_file("/proc/sysrq-trigger", "h", o.destructive);
       }},
      {"write_proc_sys_kernel",
       [](const Options& o) {
         return write_kernel_file("/proc/sys/kernel/core_pattern", "", o.destructive);
       }},
      {"write_sys", [](const Options& o) { return sysfs_write(o.destructive); }},
      {"write_host_cgroup", [](const Options&) { return host_cgroup_files(); }},
      {"cgroup_v1_release_agent", [](const Options& o) { return release_agent(o.destructive); }},
      {"load_module", [](const Options&) { return load_module(); }},
      {"ptrace_host_process", [](const Options& o) { return ptrace_host(o); }},
      {"ptrace_sibling", [](const Options&) { return ptrace_sibling(); }},
      {"keyctl_add_key", [](const Options&) { return keyring(); }},
      {"open_by_handle_at", [](const Options&) { return open_by_handle(); }},
      {"unshare_userns_mount", [](const Options&) { return unshare_mount(); }},
      {"set_time", [](const Options& o) { return set_time(o.destructive); }},
      {"raw_socket_packet",
       [](const Options&) {
         return raw_socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL), "AF_PACKET/SOCK_RAW");
       }},
      {"raw_socket_inet",
       [](const Options&) {
         return raw_socket(AF_INET, SOCK_RAW, IPPROTO_ICMP, "AF_INET/SOCK_RAW");
       }},
  };
  return all;
}

std::set<std::string> split(const std::string& s) {
  std::set<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.insert(item);
  }
  return out;
}

}  // namespace

int escape(int argc, char** argv) {
  Options o;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "skiff-probe escape: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--destructive") {
      o.destructive = true;
    } else if (a == "--block") {
      std::string v = value();
      if (std::sscanf(v.c_str(), "%u:%u", &o.block_major, &o.block_minor) != 2) {
        std::fprintf(stderr, "skiff-probe escape: --block wants MAJ:MIN, got %s\n", v.c_str());
        return 2;
      }
      o.has_block = true;
    } else if (a == "--marker") {
      o.marker = value();
    } else if (a == "--host-pid") {
      o.host_pid = std::atol(value().c_str());
    } else if (a == "--host-marker") {
      o.host_marker = value();
    } else if (a == "--only") {
      o.only = split(value());
    } else if (a == "--skip") {
      o.skip = split(value());
    } else {
      std::fprintf(stderr, "skiff-probe escape: unknown option %s\n", a.c_str());
      return 2;
    }
  }
  for (const Probe& p : probes()) {
    if (!o.only.empty() && !o.only.count(p.name)) continue;
    if (o.skip.count(p.name)) continue;
    Result r = p.run(o);
    nlohmann::ordered_json line = {{"probe", p.name}, {"escaped", r.escaped}, {"detail", r.detail}};
    std::printf("%s\n", line.dump().c_str());
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace skiff::probe
