#include "runtime/lifecycle.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <thread>

#include "cgroups/manager.h"
#include "cgroups/oci_resources.h"
#include "common/error.h"
#include "runtime/device_rules.h"
#include "runtime/hooks.h"
#include "runtime/host_cgroups.h"

namespace skiff::runtime {

namespace fs = std::filesystem;

namespace {

std::unique_ptr<cgroups::Cgroup> adopt_cgroup(const ContainerState& s) {
  std::vector<fs::path> dirs;
  for (const auto& p : s.cgroup_paths) {
    if (fs::exists(p)) dirs.emplace_back(p);
  }
  if (dirs.empty()) return nullptr;
  return host_cgroups().adopt(dirs);
}

Status derive_status(const StateDir& dir, const ContainerState& s, const cgroups::Cgroup* cg) {
  if (!is_same_live_process(s.pid, s.pid_start_time)) return Status::Stopped;
  if (fs::exists(dir.exec_fifo(s.id))) return Status::Created;
  if (cg) {
    try {
      if (cg->freezer_state() != cgroups::FreezerState::Thawed) return Status::Paused;
    } catch (const Error&) {
      // No freezer: cannot be paused.
    }
  }
  return Status::Running;
}

void require(const Container& c, std::initializer_list<Status> allowed, const char* verb) {
  if (std::find(allowed.begin(), allowed.end(), c.status) != allowed.end()) return;
  if (c.status == Status::Stopped) throw Error("container not running");
  throw Error(std::string("cannot ") + verb + " container \"" + c.state.id + "\" in state " +
              to_string(c.status));
}

// Opens the fifo, which releases the init. The init answers with one byte once its
// startContainer hooks have run, then execs; the fifo's EOF (its fd is close-on-exec) says
// the exec happened, so poststart hooks run after the workload started, as the spec asks.
void release_init(const StateDir& dir, const ContainerState& s) {
  fs::path fifo = dir.exec_fifo(s.id);
  UniqueFd fd(::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd) throw_errno("open", fifo);
  bool got_byte = false;
  for (;;) {
    pollfd p{fd.get(), POLLIN, 0};
    int r = ::poll(&p, 1, 100);
    if (r > 0) {
      char c;
      ssize_t n = ::read(fd.get(), &c, 1);
      if (n == 1) got_byte = true;
      // EOF before any writer showed up reads as 0 too: only trust it after the byte.
      if (n == 0 && got_byte) break;
      if (n == 0 && (p.revents & POLLHUP)) {
        throw Error("container \"" + s.id +
                    "\" init exited before it could start (see its stderr)");
      }
    }
    if (!is_same_live_process(s.pid, s.pid_start_time)) {
      if (got_byte) break;  // exec'd and already finished: started all the same
      throw Error("container \"" + s.id + "\" init exited before start");
    }
  }
  if (::unlink(fifo.c_str()) != 0) throw_errno("unlink", fifo);
}

void wait_until_gone(const ContainerState& s) {
  for (int i = 0; i < 500 && is_same_live_process(s.pid, s.pid_start_time); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

Container load_container(const StateDir& dir, const std::string& id) {
  validate_container_id(id);
  ContainerState s;
  try {
    s = load_state(dir.state_file(id));
  } catch (const SysError& e) {
    if (e.code() == ENOENT) throw Error("container \"" + id + "\" does not exist");
    throw;
  }
  auto cg = adopt_cgroup(s);
  Status st = derive_status(dir, s, cg.get());
  return {std::move(s), st, std::move(cg)};
}

std::vector<Container> list_containers(const StateDir& dir) {
  std::vector<Container> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir.root(), ec)) {
    if (!fs::exists(entry.path() / "state.json")) continue;  // mid-create or mid-delete
    try {
      out.push_back(load_container(dir, entry.path().filename().string()));
    } catch (const Error&) {
      // A container deleted while we listed: not an error for `list`.
    }
  }
  std::sort(out.begin(), out.end(), [](const Container& a, const Container& b) {
    return a.state.created < b.state.created;
  });
  return out;
}

void start_container(const StateDir& dir, const std::string& id, const WarningSink& warn) {
  ContainerLock lock(dir.lock_file(id));
  Container c = load_container(dir, id);
  require(c, {Status::Created}, "start");
  release_init(dir, c.state);
  // The spec: a failing poststart hook is a warning, not a failed start.
  for (const auto& failure : run_all_hooks(hooks_from_json(c.state.hooks, "poststart"), "poststart",
                                           oci_state(c.state, Status::Running))) {
    if (warn) warn(failure);
  }
}

void kill_container(const StateDir& dir, const std::string& id, int signal, bool all) {
  Container c = load_container(dir, id);
  if (c.status == Status::Stopped && !(all && c.cgroup)) throw Error("container not running");
  if (all && c.cgroup) {
    for (pid_t p : c.cgroup->pids()) {
      if (::kill(p, signal) != 0 && errno != ESRCH) throw_errno("kill", std::to_string(p));
    }
    if (c.status == Status::Paused && signal == SIGKILL) c.cgroup->thaw();
    return;
  }
  if (::kill(c.state.pid, signal) != 0) {
    if (errno == ESRCH) throw Error("container not running");
    throw_errno("kill", std::to_string(c.state.pid));
  }
}

void delete_container(const StateDir& dir, const std::string& id, bool force,
                      const WarningSink& warn) {
  ContainerLock lock(dir.lock_file(id));
  validate_container_id(id);
  std::error_code exists_ec;
  if (force && fs::is_directory(dir.container(id), exists_ec) &&
      !fs::exists(dir.state_file(id), exists_ec)) {
    // A `create` killed before it wrote state.json (its caller crashed): nothing in the
    // directory can name a process, and the lock says no create is running any more.
    fs::remove_all(dir.container(id), exists_ec);
    if (exists_ec) throw SysError("remove", dir.container(id).string(), exists_ec.value());
    return;
  }
  Container c = load_container(dir, id);
  if (c.status == Status::Running || c.status == Status::Paused) {
    if (!force) {
      throw Error("cannot delete container \"" + id +
                  "\" that is not stopped: " + to_string(c.status));
    }
  }
  if (c.cgroup) {
    c.cgroup->kill_all();  // thaws a paused cgroup as part of killing it
    wait_until_gone(c.state);
    c.cgroup->remove();
  } else if (c.status != Status::Stopped) {
    ::kill(c.state.pid, SIGKILL);
    wait_until_gone(c.state);
  }
  if (c.state.rootfs_mounted_on_host && !c.state.rootfs.empty()) {
    // No mount namespace: our bind of the rootfs, and every mount beneath it.
    if (::umount2(c.state.rootfs.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
      throw_errno("unmount the container's rootfs", c.state.rootfs);
    }
  }
  // The spec: log a failing poststop hook and carry on with the rest and the delete.
  for (const auto& failure : run_all_hooks(hooks_from_json(c.state.hooks, "poststop"), "poststop",
                                           oci_state(c.state, Status::Stopped))) {
    if (warn) warn(failure);
  }
  std::error_code ec;
  fs::remove_all(dir.container(id), ec);
  if (ec) throw SysError("remove", dir.container(id).string(), ec.value());
}

void pause_container(const StateDir& dir, const std::string& id) {
  ContainerLock lock(dir.lock_file(id));
  Container c = load_container(dir, id);
  require(c, {Status::Running, Status::Created}, "pause");
  if (!c.cgroup) throw Error("container \"" + id + "\" has no cgroup to freeze");
  c.cgroup->freeze();
}

void resume_container(const StateDir& dir, const std::string& id) {
  ContainerLock lock(dir.lock_file(id));
  Container c = load_container(dir, id);
  require(c, {Status::Paused}, "resume");
  c.cgroup->thaw();
}

void update_container(const StateDir& dir, const std::string& id, const nlohmann::json& res) {
  ContainerLock lock(dir.lock_file(id));
  Container c = load_container(dir, id);
  if (!c.cgroup) throw Error("container \"" + id + "\" has no cgroup to update");
  c.cgroup->apply(cgroups::from_oci(res, "resources"));
  if (const auto devices = res.find("devices"); devices != res.end()) {
    // The new list keeps create's linux.devices nodes reachable, as create built it.
    nlohmann::json config = oci::load_spec(c.state.bundle).raw;
    config["linux"]["resources"]["devices"] = *devices;
    c.cgroup->apply_device_rules(container_device_rules(oci::parse_spec(config).linux_config));
  }
}

std::vector<pid_t> container_pids(const StateDir& dir, const std::string& id) {
  Container c = load_container(dir, id);
  return c.cgroup ? c.cgroup->pids() : std::vector<pid_t>{};
}

int parse_signal(const std::string& text) {
  if (!text.empty() && std::all_of(text.begin(), text.end(), ::isdigit)) {
    int n = std::stoi(text);
    if (n > 0 && n < NSIG) return n;
    throw Error("invalid signal number " + text);
  }
  std::string name = text;
  std::transform(name.begin(), name.end(), name.begin(), ::toupper);
  if (name.starts_with("SIG")) name = name.substr(3);
  for (int s = 1; s < NSIG; ++s) {
    const char* abbrev = ::sigabbrev_np(s);
    if (abbrev && name == abbrev) return s;
  }
  throw Error("unknown signal \"" + text + "\"");
}

}  // namespace skiff::runtime
