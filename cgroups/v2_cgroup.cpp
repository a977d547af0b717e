#include "cgroups/v2_cgroup.h"

#include <fcntl.h>
#include <sys/inotify.h>

#include <cerrno>

#include "cgroups/cgroupfs.h"
#include "cgroups/device_bpf.h"
#include "cgroups/device_program.h"
#include "common/error.h"
#include "common/file_io.h"

namespace skiff::cgroups {

namespace {

constexpr auto kStateTimeout = std::chrono::milliseconds(5000);

std::string limit_value(std::int64_t v) {
  return v < 0 ? "max" : std::to_string(v);
}

// Missing files mean the controller is not enabled here; stats report zeros for it.
std::map<std::string, std::uint64_t> keyed_or_empty(const std::filesystem::path& p) {
  try {
    return read_flat_keyed(p);
  } catch (const SysError& e) {
    if (e.code() != ENOENT) throw;
    return {};
  }
}

std::optional<std::uint64_t> u64_or_none(const std::filesystem::path& p) {
  try {
    return read_u64(p);
  } catch (const SysError& e) {
    if (e.code() != ENOENT) throw;
    return std::nullopt;
  }
}

class V2OomMonitor final : public OomMonitor {
 public:
  explicit V2OomMonitor(std::filesystem::path events) : events_(std::move(events)) {
    fd_.reset(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (!fd_) throw_errno("inotify_init1 for", events_);
    if (::inotify_add_watch(fd_.get(), events_.c_str(), IN_MODIFY) < 0) {
      throw_errno("inotify_add_watch", events_);
    }
  }
  int fd() const override { return fd_.get(); }
  std::uint64_t kills() override {
    char buf[4096];
    while (::read(fd_.get(), buf, sizeof buf) > 0) {
    }
    auto events = keyed_or_empty(events_);
    return events["oom_kill"];
  }

 private:
  std::filesystem::path events_;
  UniqueFd fd_;
};

}  // namespace

void V2Cgroup::add_process(pid_t pid) {
  write_file(dir_ / "cgroup.procs", std::to_string(pid));
}

UniqueFd V2Cgroup::open_for_clone() const {
  UniqueFd fd(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) throw_errno("open", dir_);
  return fd;
}

void V2Cgroup::apply_device_rules(const std::vector<DeviceRule>& rules) {
  attach_device_program(dir_, compile_device_program(rules));
}

void V2Cgroup::apply(const Resources& r) {
  if (r.cpu_shares) {
    fs::write_control(dir_, "cpu", "cpu.weight", std::to_string(shares_to_weight(*r.cpu_shares)));
  }
  if (r.cpu_quota_us || r.cpu_period_us) {
    std::int64_t quota = r.cpu_quota_us.value_or(kUnlimited);
    std::uint64_t period = r.cpu_period_us.value_or(kDefaultCpuPeriodUs);
    fs::write_control(dir_, "cpu", "cpu.max", limit_value(quota) + " " + std::to_string(period));
  }
  if (r.cpuset_cpus) fs::write_control(dir_, "cpuset", "cpuset.cpus", *r.cpuset_cpus);
  if (r.cpuset_mems) fs::write_control(dir_, "cpuset", "cpuset.mems", *r.cpuset_mems);
  if (r.memory_reservation) {
    fs::write_control(dir_, "memory", "memory.low", limit_value(*r.memory_reservation));
  }
  if (r.memory_limit) fs::write_control(dir_, "memory", "memory.max", limit_value(*r.memory_limit));
  if (r.memory_swap) {
    // OCI's swap is memory+swap; v2 limits swap alone.
    std::string swap = "max";
    if (*r.memory_swap >= 0) {
      if (!r.memory_limit || *r.memory_limit < 0) {
        throw Error("memory swap limit " + std::to_string(*r.memory_swap) +
                    " needs a memory limit on cgroup v2 (memory.swap.max = swap - limit)");
      }
      swap = std::to_string(*r.memory_swap - *r.memory_limit);
    }
    fs::write_control(dir_, "memory", "memory.swap.max", swap);
  }
  if (r.memory_swappiness) throw Error("memory swappiness is not supported on cgroup v2");
  if (r.disable_oom_killer.value_or(false)) {
    throw Error("disabling the OOM killer is not supported on cgroup v2");
  }
  if (r.pids_limit) fs::write_control(dir_, "pids", "pids.max", limit_value(*r.pids_limit));
  if (r.io_weight) {
    std::string value = "default " + std::to_string(blkio_to_io_weight(*r.io_weight));
    if (fs::exists(dir_ / "io.weight")) {
      write_file(dir_ / "io.weight", value);
    } else {
      // BFQ keeps the blkio scale (1..1000).
      fs::write_control(dir_, "io", "io.bfq.weight", std::to_string(*r.io_weight));
    }
  }
  for (const auto& [file, value] : r.unified) {
    fs::write_control(dir_, file.substr(0, file.find('.')), file, value);
  }
}

Stats V2Cgroup::stats() const {
  Stats s;
  auto cpu = keyed_or_empty(dir_ / "cpu.stat");
  s.cpu_usage_usec = cpu["usage_usec"];
  s.cpu_user_usec = cpu["user_usec"];
  s.cpu_system_usec = cpu["system_usec"];
  s.cpu_nr_periods = cpu["nr_periods"];
  s.cpu_nr_throttled = cpu["nr_throttled"];
  s.cpu_throttled_usec = cpu["throttled_usec"];
  s.memory_current = u64_or_none(dir_ / "memory.current").value_or(0);
  s.memory_peak = u64_or_none(dir_ / "memory.peak");
  s.memory_limit = u64_or_none(dir_ / "memory.max").value_or(kNoLimit);
  auto events = keyed_or_empty(dir_ / "memory.events");
  s.oom_events = events["oom"];
  s.oom_kill_events = events["oom_kill"];
  s.pids_current = u64_or_none(dir_ / "pids.current").value_or(0);
  s.pids_limit = u64_or_none(dir_ / "pids.max").value_or(kNoLimit);
  return s;
}

void V2Cgroup::set_frozen(bool frozen) {
  write_file(dir_ / "cgroup.freeze", frozen ? "1" : "0");
  auto events = dir_ / "cgroup.events";
  bool ok = fs::wait_until([&] { return read_flat_keyed(events)["frozen"] == (frozen ? 1u : 0u); },
                           kStateTimeout);
  if (!ok) {
    throw Error(std::string(frozen ? "freeze " : "thaw ") + dir_.string() +
                ": cgroup.events did not report the new state within 5 s");
  }
}

void V2Cgroup::freeze() {
  set_frozen(true);
}
void V2Cgroup::thaw() {
  set_frozen(false);
}

FreezerState V2Cgroup::freezer_state() const {
  bool wanted = read_u64(dir_ / "cgroup.freeze") == 1;
  bool frozen = read_flat_keyed(dir_ / "cgroup.events")["frozen"] == 1;
  if (frozen) return FreezerState::Frozen;
  return wanted ? FreezerState::Freezing : FreezerState::Thawed;
}

std::vector<pid_t> V2Cgroup::pids() const {
  return fs::subtree_pids(dir_);
}

void V2Cgroup::kill_all() {
  if (!fs::exists(dir_)) return;
  if (fs::exists(dir_ / "cgroup.kill")) {
    write_file(dir_ / "cgroup.kill", "1");  // Linux 5.14+: atomic, no fork race
  } else {
    // Freeze first so nothing forks between reading the list and killing it.
    set_frozen(true);
    fs::kill_pids(pids());
    set_frozen(false);
  }
  bool empty = fs::wait_until(
      [&] {
        auto left = pids();
        fs::kill_pids(left);  // stragglers of the fallback path; a no-op after cgroup.kill
        return left.empty();
      },
      kStateTimeout);
  if (!empty) throw Error("kill all in " + dir_.string() + ": processes remain after 5 s");
}

void V2Cgroup::remove() {
  if (fs::exists(dir_)) fs::remove_tree(dir_);
}

std::unique_ptr<OomMonitor> V2Cgroup::watch_oom() const {
  return std::make_unique<V2OomMonitor>(dir_ / "memory.events");
}

}  // namespace skiff::cgroups
