#include "runtime/container_init.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "common/argv.h"
#include "common/error.h"
#include "common/file_io.h"
#include "runtime/console.h"
#include "runtime/hooks.h"
#include "runtime/security/apparmor.h"
#include "runtime/security/process_security.h"
#include "runtime/security/seccomp_filter.h"

namespace skiff::runtime {

namespace {

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Prefixes the step's name to whatever it throws.
template <typename F>
void step(const char* name, F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    throw Error(std::string(name) + ": " + e.what());
  }
}

bool has_dev_tmpfs(const std::vector<oci::Mount>& mounts) {
  for (const auto& m : mounts) {
    if (m.destination == "/dev" && !m.is_bind()) return true;
  }
  return false;
}

void set_hostname(const oci::Spec& spec) {
  if (!spec.hostname.empty() && ::sethostname(spec.hostname.c_str(), spec.hostname.size()) != 0) {
    throw_errno("sethostname", spec.hostname);
  }
  if (!spec.domainname.empty() &&
      ::setdomainname(spec.domainname.c_str(), spec.domainname.size()) != 0) {
    throw_errno("setdomainname", spec.domainname);
  }
}

void write_sysctls(const std::map<std::string, std::string>& sysctl) {
  for (const auto& [key, value] : sysctl) {
    std::string path = "/proc/sys/" + key;
    for (size_t i = 10; i < path.size(); ++i) {
      if (path[i] == '.') path[i] = '/';
    }
    write_file(path, value);
  }
}

}  // namespace

namespace {

// close_range's fallback: walks /proc/self/fd (the opened directory's own fd included; it
// is close-on-exec already).
void set_cloexec_from(int first) {
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir("/proc/self/fd"), ::closedir);
  if (!d) throw_errno("opendir", "/proc/self/fd (close_range is not allowed)");
  while (const dirent* e = ::readdir(d.get())) {
    char* end = nullptr;
    long fd = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || fd < first) continue;
    int flags = ::fcntl(static_cast<int>(fd), F_GETFD);
    if (flags >= 0) ::fcntl(static_cast<int>(fd), F_SETFD, flags | FD_CLOEXEC);
  }
}

}  // namespace

void close_fds_on_exec(int preserve) {
  // Everything above stdio and the preserved range closes at exec. A seccomp profile loaded
  // already (noNewPrivileges false) may predate close_range and refuse it: EPERM, ENOSYS.
  unsigned first = 3 + static_cast<unsigned>(preserve);
  if (::syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    if (errno != EPERM && errno != ENOSYS) throw_errno("close_range", std::to_string(first) + "..");
    set_cloexec_from(static_cast<int>(first));
  }
  for (int fd = 3; fd < 3 + preserve; ++fd) {
    int flags = ::fcntl(fd, F_GETFD);
    if (flags >= 0) ::fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
  }
}

namespace {

// Blocks until `start` opens the fifo for reading. The returned fd stays open (it is
// close-on-exec), so `start` sees EOF only once execve has happened or we have died.
UniqueFd wait_for_start(int fifo) {
  std::string self = "/proc/self/fd/" + std::to_string(fifo);
  UniqueFd fd(::open(self.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) throw_errno("open exec fifo", self);
  return fd;
}

void tell_start_we_exec(const UniqueFd& fifo) {
  char go = '0';
  if (::write(fifo.get(), &go, 1) != 1) throw_errno("write", "exec fifo");
}

void run_steps(InitContext& ctx) {
  const oci::Spec& spec = ctx.spec;
  const oci::Process& proc = *spec.process;
  const oci::LinuxConfig& lc = spec.linux_config;

  if (ctx.join_cgroup) {
    step("join cgroup", [&] {
      ctx.join_cgroup->apply_or_throw();
      ctx.join_cgroup->close();
    });
  }
  // sync 1: the parent has written our id maps.
  ctx.sync.expect(SyncKind::Start);
  if (ctx.unshare_cgroup_namespace) {
    step("cgroup namespace", [] {
      if (::unshare(CLONE_NEWCGROUP) != 0) throw_errno("unshare", "cgroup namespace");
    });
  }
  step("join namespaces", [&] { join_namespaces(ctx.joins); });
  if (ctx.new_user_namespace) {
    step("become root in the user namespace", [&] {
      if (::setresgid(0, 0, 0) != 0) throw_errno("setresgid", "0");
      if (::setresuid(0, 0, 0) != 0) throw_errno("setresuid", "0");
    });
  }
  if (ctx.own_mount_namespace) {
    step("prepare rootfs", [&] { prepare_rootfs(ctx.rootfs, lc.rootfs_propagation); });
  }
  step("mount", [&] { mount_all(ctx.rootfs, spec.mounts, ctx.cgroup); });
  step("create devices", [&] {
    if (has_dev_tmpfs(spec.mounts)) populate_dev(ctx.rootfs, lc.devices, ctx.new_user_namespace);
  });

  // sync 2: createRuntime/prestart hooks run in the runtime's namespaces; then ours.
  ctx.sync.send(SyncKind::RunCreateRuntimeHooks);
  SyncMessage go = ctx.sync.expect(SyncKind::RunCreateContainerHooks);
  step("createContainer hooks", [&] {
    run_hooks(spec.hooks.create_container, "createContainer", nlohmann::json::parse(go.text));
  });

  if (ctx.own_mount_namespace) {
    step("pivot_root", [&] { enter_rootfs(ctx.rootfs, ctx.no_pivot); });
    step("rootfs propagation", [&] { apply_root_propagation(lc.rootfs_propagation); });
  } else {
    step("chroot", [&] { chroot_into(ctx.rootfs); });
  }
  // Before /proc/sys turns read-only (it is in the default readonlyPaths).
  step("sysctl", [&] { write_sysctls(lc.sysctl); });
  step("masked and read-only paths", [&] { lock_down_paths(lc, spec.root.readonly); });
  step("hostname", [&] {
    if (lc.has(oci::NamespaceType::Uts)) set_hostname(spec);
  });
  if (proc.terminal) {
    // sync 3: the pty master goes to the parent, which hands it to --console-socket.
    step("console", [&] {
      UniqueFd master = setup_console(proc.console_size);
      ctx.sync.send(SyncKind::ConsoleMaster, {}, master.get());
    });
  }
  step("oom_score_adj", [&] {
    if (proc.oom_score_adj)
      write_file("/proc/self/oom_score_adj", std::to_string(*proc.oom_score_adj));
  });
  bool load_filter_last = false;
  step("rlimits, user, capabilities, no_new_privs",
       [&] { load_filter_last = security::apply_process_security(proc, ctx.seccomp); });
  step("cwd", [&] {
    if (::chdir(proc.cwd.c_str()) != 0) throw_errno("chdir to process.cwd", proc.cwd);
  });
  std::string exe;
  step("exec", [&] { exe = resolve_executable(proc.args.front(), proc.env); });
  step("close fds", [&] { close_fds_on_exec(ctx.preserve_fds); });

  // sync 4: everything that can fail has been checked; wait for `start`.
  ctx.sync.send(SyncKind::Ready);
  ctx.sync.close();
  UniqueFd started = wait_for_start(ctx.exec_fifo);
  // startContainer hooks run here, in the container, after start and before the workload.
  // The parent is gone, so a failure goes to the container's stderr.
  try {
    auto state = nlohmann::json::parse(go.text);
    state["status"] = "running";
    run_hooks(spec.hooks.start_container, "startContainer", state);
    // After the hooks, which must not run confined; before the filter, which may refuse it.
    security::apply_apparmor_profile(proc.apparmor_profile);
    tell_start_we_exec(started);
  } catch (const std::exception& e) {
    std::string msg = std::string("skiff-runtime: ") + e.what() + "\n";
    (void)!::write(2, msg.data(), msg.size());
    ::_exit(1);
  }
  if (load_filter_last) ctx.seccomp->load();  // last, so it filters only the workload

  auto argv = c_argv(proc.args);
  auto envp = c_argv(proc.env);
  ::execve(exe.c_str(), argv.data(), envp.data());
  // Nobody is listening on the sync socket any more: stderr is all we have.
  int err = errno;
  std::string msg = "skiff-runtime: exec " + exe + ": " + std::strerror(err) + "\n";
  (void)!::write(2, msg.data(), msg.size());
  ::_exit(127);
}

}  // namespace

std::string resolve_executable(const std::string& arg0, const std::vector<std::string>& env) {
  auto executable = [](const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
  };
  if (arg0.find('/') != std::string::npos) {
    struct stat st {};
    if (::stat(arg0.c_str(), &st) != 0) throw_errno("exec", arg0);
    if (S_ISDIR(st.st_mode)) throw SysError("exec", arg0, EISDIR);
    if (::access(arg0.c_str(), X_OK) != 0) throw_errno("exec", arg0);
    return arg0;
  }
  std::string path = kDefaultPath;
  for (const auto& e : env) {
    if (e.starts_with("PATH=")) path = e.substr(5);
  }
  size_t start = 0;
  for (;;) {
    size_t end = path.find(':', start);
    std::string dir =
        path.substr(start, end == std::string::npos ? std::string::npos : end - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + arg0;
    if (executable(candidate)) return candidate;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  throw Error("exec: \"" + arg0 + "\": executable file not found in $PATH");
}

void container_init(InitContext& ctx) noexcept {
  if (ctx.lock_fd >= 0) ::close(ctx.lock_fd);
  try {
    run_steps(ctx);
  } catch (const std::exception& e) {
    bool told = false;
    if (ctx.sync.fd() >= 0) {
      try {
        ctx.sync.send(SyncKind::Error, e.what());
        told = true;
      } catch (...) {
        // The parent is gone: fall through to stderr.
      }
    }
    if (!told) {
      // After Ready nobody listens on the sync socket; the container's stderr is what the
      // caller (conmon, podman, the agent's shim) collects.
      std::string msg = std::string("skiff-runtime: container init: ") + e.what() + "\n";
      (void)!::write(2, msg.data(), msg.size());
    }
  }
  ::_exit(1);
}

}  // namespace skiff::runtime
