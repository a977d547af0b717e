#include "runtime/exec.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include "cgroups/self_move.h"
#include "common/argv.h"
#include "common/atomic_file.h"
#include "common/error.h"
#include "runtime/console.h"
#include "runtime/container_init.h"
#include "runtime/lifecycle.h"
#include "runtime/seccomp_cache.h"
#include "runtime/security/apparmor.h"
#include "runtime/security/process_security.h"
#include "runtime/security/seccomp_filter.h"
#include "runtime/sync_socket.h"

namespace skiff::runtime {

namespace {

// The container's namespaces, user first (it grants what joining the others needs); pid
// last among them, since it only applies to our children.
std::vector<JoinFd> open_container_namespaces(pid_t init, const oci::LinuxConfig& lc) {
  std::vector<JoinFd> fds;
  static const oci::NamespaceType kOrder[] = {
      oci::NamespaceType::User,    oci::NamespaceType::Ipc,    oci::NamespaceType::Uts,
      oci::NamespaceType::Network, oci::NamespaceType::Cgroup, oci::NamespaceType::Pid,
      oci::NamespaceType::Mount};
  for (auto type : kOrder) {
    if (!lc.has(type)) continue;
    std::string path =
        "/proc/" + std::to_string(init) + "/ns/" + std::string(oci::proc_ns_name(type));
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw_errno("open", path);
    fds.push_back({type, std::move(fd)});
  }
  return fds;
}

void join_all(const std::vector<JoinFd>& fds) {
  for (const auto& j : fds) {
    if (::setns(j.fd.get(), oci::clone_flag(j.type)) != 0) {
      throw_errno(std::string("setns ") + std::string(oci::to_string(j.type)) + " namespace of",
                  "the container");
    }
  }
}

// The final process, already inside every namespace: become what the spec says, exec.
[[noreturn]] void become_workload(const oci::Process& proc, security::SeccompFilter* seccomp,
                                  SyncSocket& sync, int preserve_fds) {
  try {
    if (proc.terminal) {
      UniqueFd master = setup_console(proc.console_size);
      sync.send(SyncKind::ConsoleMaster, {}, master.get());
    }
    bool load_filter_last = security::apply_process_security(proc, seccomp);
    if (::chdir(proc.cwd.c_str()) != 0) throw_errno("chdir to cwd", proc.cwd);
    std::string exe = resolve_executable(proc.args.front(), proc.env);
    security::apply_apparmor_profile(proc.apparmor_profile);
    close_fds_on_exec(preserve_fds);
    sync.send(SyncKind::Ready);
    if (load_filter_last) seccomp->load();
    auto argv = c_argv(proc.args);
    auto envp = c_argv(proc.env);
    ::execve(exe.c_str(), argv.data(), envp.data());
    throw SysError("exec", exe, errno);
  } catch (const std::exception& e) {
    try {
      sync.send(SyncKind::Error, std::string("exec: ") + e.what());
    } catch (...) {
    }
    ::_exit(127);
  }
}

// A workload that failed before exec is on its way out; make sure it is gone before we
// report, so the caller never sees a half-dead process in the container.
void reap_failed_workload(pid_t pid, bool detached) {
  if (pid <= 0) return;
  ::kill(pid, SIGKILL);
  if (!detached) {
    ::waitpid(pid, nullptr, 0);  // we are its subreaper
    return;
  }
  for (int i = 0; i < 200 && ::kill(pid, 0) == 0; ++i) ::usleep(5000);
}

}  // namespace

oci::Process container_process(const StateDir& dir, const std::string& id) {
  Container c = load_container(dir, id);
  oci::Spec spec = oci::load_spec(c.state.bundle);
  return *spec.process;
}

int exec_in_container(const StateDir& dir, const ExecOptions& o) {
  Container c = load_container(dir, o.id);
  if (c.status != Status::Running) {
    throw Error("cannot exec in container \"" + o.id + "\": it is " + to_string(c.status));
  }
  if (o.process.args.empty()) throw Error("exec: no command given");
  if (o.process.terminal && o.console_socket.empty()) {
    throw Error("exec --tty needs --console-socket");
  }
  security::check_apparmor_profile(o.process.apparmor_profile);
  oci::Spec spec = oci::load_spec(c.state.bundle);
  auto joins = open_container_namespaces(c.state.pid, spec.linux_config);
  UniqueFd container_root;
  if (!spec.linux_config.has(oci::NamespaceType::Mount)) {
    std::string root = "/proc/" + std::to_string(c.state.pid) + "/root";
    container_root = UniqueFd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!container_root) throw_errno("open", root);
  }
  auto seccomp = SeccompCache(dir.seccomp_cache()).filter_for(spec);  // health checks: cached
  auto [parent_end, child_end] = SyncSocket::make_pair();
  // Waiting (not detached): the workload is our grandchild; being a subreaper brings it back.
  if (!o.detach) ::prctl(PR_SET_CHILD_SUBREAPER, 1);

  UniqueFd cgroup_fd = c.cgroup ? c.cgroup->open_for_clone() : UniqueFd();
  cgroups::SelfMove self_move;
  if (c.cgroup && !cgroup_fd) self_move = cgroups::SelfMove(*c.cgroup);
  clone_args args{};
  args.flags = cgroup_fd ? CLONE_INTO_CGROUP : 0;
  args.exit_signal = SIGCHLD;
  args.cgroup = cgroup_fd ? static_cast<__u64>(cgroup_fd.get()) : 0;
  pid_t mid = static_cast<pid_t>(::syscall(SYS_clone3, &args, sizeof args));
  if (mid < 0) throw_errno("clone3 exec process in", o.id);
  if (mid == 0) {
    parent_end.close();
    try {
      self_move.apply_or_throw();  // v1: into the container's cgroups, ourselves
      self_move.close();
      join_all(joins);
      if (container_root) {
        // No mount namespace to join: the container is the init's chroot.
        if (::fchdir(container_root.get()) != 0 || ::chroot(".") != 0) {
          throw_errno("chroot into the root of", o.id);
        }
      }
      pid_t pid = ::fork();  // the pid namespace applies from our children on
      if (pid < 0) throw_errno("fork into the pid namespace of", o.id);
      if (pid == 0)
        become_workload(o.process, seccomp ? &*seccomp : nullptr, child_end, o.preserve_fds);
      // fork() answered in our (the host's) pid namespace: that is the pid callers want.
      child_end.send(SyncKind::Pid, std::to_string(pid));
      ::_exit(0);
    } catch (const std::exception& e) {
      child_end.send(SyncKind::Error, std::string("exec: ") + e.what());
      ::_exit(1);
    }
  }
  child_end.close();
  self_move.close();
  ::waitpid(mid, nullptr, 0);

  // The middle process (Pid) and the workload (ConsoleMaster, Ready) share the socket, so
  // their messages may interleave: take them in whatever order they come.
  pid_t pid = 0;
  bool ready = false;
  while (!pid || !ready) {
    SyncMessage m = parent_end.receive();
    switch (m.kind) {
      case SyncKind::Pid:
        pid = std::stoi(m.text);
        break;
      case SyncKind::Ready:
        ready = true;
        break;
      case SyncKind::ConsoleMaster:
        send_console_master(o.console_socket, m.fd.get());
        break;
      case SyncKind::Error:
        reap_failed_workload(pid, o.detach);
        throw Error(m.text);
      default:
        throw Error(std::string("exec: unexpected ") + to_string(m.kind) + " message");
    }
  }
  // After Ready: EOF means execve succeeded (the socket closed on exec); Error means not.
  if (auto after = parent_end.receive_or_eof(); after && after->kind == SyncKind::Error) {
    throw Error(after->text);
  }
  if (o.pid_file) {
    // Written atomically: podman reads it as soon as we exit.
    write_file_atomic(*o.pid_file, std::to_string(pid), 0644, /*durable=*/false);
  }
  if (o.detach) return 0;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw_errno("waitpid", std::to_string(pid));
  }
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

}  // namespace skiff::runtime
