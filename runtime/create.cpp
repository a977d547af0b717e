#include "runtime/create.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <optional>

#include "cgroups/manager.h"
#include "cgroups/self_move.h"
#include "common/atomic_file.h"
#include "common/error.h"
#include "common/file_io.h"
#include "runtime/console.h"
#include "runtime/container_init.h"
#include "runtime/container_state.h"
#include "runtime/device_rules.h"
#include "runtime/hooks.h"
#include "runtime/host_cgroups.h"
#include "runtime/seccomp_cache.h"
#include "runtime/security/apparmor.h"

namespace skiff::runtime {

namespace fs = std::filesystem;

namespace {

// Undoes a half-made container unless commit() is reached.
class CreateRollback {
 public:
  explicit CreateRollback(fs::path state_dir) : state_dir_(std::move(state_dir)) {}
  CreateRollback(const CreateRollback&) = delete;
  CreateRollback& operator=(const CreateRollback&) = delete;
  ~CreateRollback() {
    if (committed_) return;
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    // Our bind and every mount the init made beneath it, in one lazy unmount.
    if (!host_rootfs_mount_.empty()) ::umount2(host_rootfs_mount_.c_str(), MNT_DETACH);
    if (cgroup_) {
      try {
        cgroup_->kill_all();
        cgroup_->remove();
      } catch (...) {
        // Unwinding from the error that matters; a stray cgroup is named in docs/runtime.md.
      }
    }
    std::error_code ec;
    fs::remove_all(state_dir_, ec);
  }
  void set_pid(pid_t pid) { pid_ = pid; }
  void set_cgroup(cgroups::Cgroup* cg) { cgroup_ = cg; }
  void set_host_rootfs_mount(fs::path rootfs) { host_rootfs_mount_ = std::move(rootfs); }
  void commit() { committed_ = true; }

 private:
  fs::path state_dir_;
  fs::path host_rootfs_mount_;
  pid_t pid_ = -1;
  cgroups::Cgroup* cgroup_ = nullptr;
  bool committed_ = false;
};

std::string default_cgroup_name(const std::string& id) {
  return "skiff-runtime/" + id;
}

std::string cgroup_name_for(const oci::Spec& spec, const std::string& id) {
  const std::string& path = spec.linux_config.cgroups_path;
  if (path.empty()) return default_cgroup_name(id);
  if (path.find(':') != std::string::npos) {
    throw oci::SpecError("linux.cgroupsPath: \"" + path +
                         "\" is a systemd slice:prefix:name path; skiff manages cgroupfs "
                         "directly (use a /path/like/this)");
  }
  return path;
}

fs::path resolve_rootfs(const fs::path& bundle, const oci::Spec& spec) {
  fs::path root = spec.root.path;
  if (root.is_relative()) root = bundle / root;
  std::error_code ec;
  fs::path canonical = fs::canonical(root, ec);
  if (ec || !fs::is_directory(canonical)) {
    throw oci::SpecError("root.path: rootfs " + root.string() +
                         " does not exist or is not a directory");
  }
  return canonical;
}

pid_t clone_init(unsigned long ns_flags, int cgroup_fd) {
  clone_args args{};
  args.flags = ns_flags | (cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0);
  args.exit_signal = SIGCHLD;
  args.cgroup = cgroup_fd >= 0 ? static_cast<__u64>(cgroup_fd) : 0;
  pid_t pid = static_cast<pid_t>(::syscall(SYS_clone3, &args, sizeof args));
  if (pid < 0 && (errno == ENOSYS || errno == E2BIG) && cgroup_fd < 0) {
    pid =
        static_cast<pid_t>(::syscall(SYS_clone, ns_flags | SIGCHLD, nullptr, nullptr, nullptr, 0));
  }
  return pid;
}

nlohmann::json creating_state(const ContainerState& s) {
  auto j = oci_state(s, Status::Creating);
  j["pid"] = s.pid;
  return j;
}

}  // namespace

pid_t create_container(const StateDir& dir, const CreateOptions& o) {
  validate_container_id(o.id);
  fs::path bundle = fs::absolute(o.bundle).lexically_normal();
  oci::Spec spec = oci::load_spec(bundle);
  if (!spec.process) throw oci::SpecError("process: required to create a container");
  if (spec.process->terminal && o.console_socket.empty()) {
    throw Error("process.terminal is true but no --console-socket was given");
  }
  security::check_apparmor_profile(spec.process->apparmor_profile);
  if (o.warn) {
    for (const auto& warning : spec.linux_config.warnings) o.warn(warning);
  }
  fs::path rootfs = resolve_rootfs(bundle, spec);
  auto joins = open_join_fds(spec.linux_config);
  // Compiled here, not in the init: a bad profile fails before any process exists, and a
  // profile seen before costs no code generation.
  auto seccomp = SeccompCache(dir.seccomp_cache()).filter_for(spec);

  fs::create_directories(dir.root());
  fs::path state_dir = dir.container(o.id);
  if (::mkdir(state_dir.c_str(), 0711) != 0) {
    if (errno == EEXIST) throw Error("container \"" + o.id + "\" already exists");
    throw_errno("mkdir", state_dir);
  }
  std::unique_ptr<cgroups::Cgroup> cgroup;  // declared first: the rollback uses it
  CreateRollback rollback(state_dir);
  ContainerLock lock(dir.lock_file(o.id));

  const auto& manager = host_cgroups();
  // An existing cgroupsPath is joined, as in runc and crun; a failed create then leaves it
  // (and whatever else runs there) alone.
  auto placed = manager.create_or_join(cgroup_name_for(spec, o.id), spec.linux_config.resources);
  cgroup = std::move(placed.cgroup);
  if (!placed.existed) rollback.set_cgroup(cgroup.get());
  cgroup->apply_device_rules(container_device_rules(spec.linux_config));

  // Without a mount namespace the runtime's is inherited, as the spec says: the rootfs and
  // the config's mounts are made there, beneath a bind of the rootfs that delete (or this
  // rollback) unmounts in one go. The host's own mounts are left as they are.
  const bool own_mount_namespace = spec.linux_config.has(oci::NamespaceType::Mount);
  if (!own_mount_namespace) {
    if (::mount(rootfs.c_str(), rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
      throw_errno("bind mount the rootfs onto itself (no mount namespace)", rootfs);
    }
    rollback.set_host_rootfs_mount(rootfs);
  }

  fs::path fifo = dir.exec_fifo(o.id);
  if (::mkfifo(fifo.c_str(), 0622) != 0) throw_errno("mkfifo", fifo);
  // The umask took write access away from others; a non-root init needs it.
  if (::chmod(fifo.c_str(), 0622) != 0) throw_errno("chmod", fifo);
  UniqueFd fifo_fd(::open(fifo.c_str(), O_PATH | O_CLOEXEC));
  if (!fifo_fd) throw_errno("open", fifo);

  auto [parent_end, child_end] = SyncSocket::make_pair();
  unsigned long ns_flags = new_namespace_flags(spec.linux_config);
  UniqueFd cgroup_fd = cgroup->open_for_clone();
  cgroups::SelfMove self_move;
  if (!cgroup_fd) self_move = cgroups::SelfMove(*cgroup);
  const bool wants_cgroupns = (ns_flags & CLONE_NEWCGROUP) != 0;
  const bool late_cgroupns = wants_cgroupns && !cgroup_fd;
  if (late_cgroupns) ns_flags &= ~static_cast<unsigned long>(CLONE_NEWCGROUP);
  CgroupView view{cgroup->backend() == cgroups::Backend::V2, wants_cgroupns, cgroup->paths()};
  join_pid_namespace_for_children(joins);

  pid_t pid = clone_init(ns_flags, cgroup_fd ? cgroup_fd.get() : -1);
  if (pid < 0) throw_errno("clone3 container init for", o.id);
  if (pid == 0) {
    parent_end.close();
    InitContext ctx{spec,
                    rootfs,
                    child_end,
                    fifo_fd.get(),
                    lock.fd(),
                    o.no_pivot,
                    (ns_flags & CLONE_NEWUSER) != 0,
                    late_cgroupns,
                    cgroup_fd ? nullptr : &self_move,
                    seccomp ? &*seccomp : nullptr,
                    view,
                    joins,
                    o.preserve_fds,
                    own_mount_namespace};
    container_init(ctx);
  }
  rollback.set_pid(pid);
  child_end.close();
  self_move.close();

  ContainerState state;
  state.id = o.id;
  state.bundle = bundle.string();
  state.rootfs = rootfs.string();
  state.pid = pid;
  state.created = now_rfc3339();
  state.annotations = spec.raw.value("annotations", nlohmann::json::object());
  state.hooks = spec.raw.value("hooks", nlohmann::json::object());
  state.owner = ::geteuid();
  state.created_via_run = o.created_via_run;
  state.rootfs_mounted_on_host = !own_mount_namespace;
  for (const auto& p : cgroup->paths()) state.cgroup_paths.push_back(p.string());

  // sync 1: map ids, then let it run. The init is already in its cgroup: cloned into it, or
  // (v1) moved by itself, which spares this move the kernel's RCU wait (cgroups/self_move.h).
  if (ns_flags & CLONE_NEWUSER) write_id_maps(pid, spec.linux_config);
  parent_end.send(SyncKind::Start);

  // sync 2: namespaces and mounts exist; hooks that run in our namespaces go now.
  parent_end.expect(SyncKind::RunCreateRuntimeHooks);
  run_hooks(spec.hooks.prestart, "prestart", creating_state(state));
  run_hooks(spec.hooks.create_runtime, "createRuntime", creating_state(state));
  parent_end.send(SyncKind::RunCreateContainerHooks, creating_state(state).dump());

  if (spec.process->terminal) {
    SyncMessage console = parent_end.expect(SyncKind::ConsoleMaster);  // sync 3
    send_console_master(o.console_socket, console.fd.get());
  }
  parent_end.expect(SyncKind::Ready);  // sync 4

  auto start_time = process_start_time(pid);
  if (!start_time) throw Error("container init " + std::to_string(pid) + " died after setup");
  state.pid_start_time = *start_time;
  save_state(dir.state_file(o.id), state);
  if (o.pid_file) {
    // Written atomically: conmon and podman read it as soon as we exit.
    write_file_atomic(*o.pid_file, std::to_string(pid), 0644, /*durable=*/false);
  }
  rollback.commit();
  return pid;
}

}  // namespace skiff::runtime
