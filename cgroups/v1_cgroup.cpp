#include "cgroups/v1_cgroup.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <set>

#include "cgroups/cgroupfs.h"
#include "common/error.h"
#include "common/file_io.h"

namespace skiff::cgroups {

namespace {

constexpr auto kStateTimeout = std::chrono::milliseconds(5000);

std::uint64_t ns_to_us(std::uint64_t ns) {
  return ns / 1000;
}

// v1 writes -1 for "no limit" and reads back a huge page-aligned number.
std::string limit_value(std::int64_t v) {
  return v < 0 ? "-1" : std::to_string(v);
}
std::uint64_t read_limit(const std::filesystem::path& file) {
  std::uint64_t v = read_u64(file);
  return v >= (std::uint64_t{1} << 62) ? kNoLimit : v;
}

// Classic v1 OOM notification: an eventfd registered against memory.oom_control.
class V1OomMonitor final : public OomMonitor {
 public:
  explicit V1OomMonitor(const std::filesystem::path& dir)
      : oom_control_(dir / "memory.oom_control") {
    efd_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!efd_) throw_errno("eventfd for", oom_control_);
    control_fd_.reset(::open(oom_control_.c_str(), O_RDONLY | O_CLOEXEC));
    if (!control_fd_) throw_errno("open", oom_control_);
    write_file(dir / "cgroup.event_control",
               std::to_string(efd_.get()) + " " + std::to_string(control_fd_.get()));
  }
  int fd() const override { return efd_.get(); }
  std::uint64_t kills() override {
    std::uint64_t n;
    while (::read(efd_.get(), &n, sizeof n) > 0) {
    }
    try {
      return read_flat_keyed(oom_control_)["oom_kill"];
    } catch (const SysError& e) {
      if (e.code() != ENOENT) throw;
      return 0;  // cgroup removed
    }
  }

 private:
  std::filesystem::path oom_control_;
  UniqueFd efd_;
  UniqueFd control_fd_;
};

}  // namespace

std::vector<std::filesystem::path> V1Cgroup::paths() const {
  std::set<std::filesystem::path> unique;
  for (const auto& [controller, d] : dirs_) unique.insert(d);
  return {unique.begin(), unique.end()};
}

const std::filesystem::path* V1Cgroup::find(const std::string& controller) const {
  auto it = dirs_.find(controller);
  return it == dirs_.end() ? nullptr : &it->second;
}

const std::filesystem::path& V1Cgroup::dir(const std::string& controller) const {
  if (auto* d = find(controller)) return *d;
  throw Error("controller " + controller + " is not mounted (no cgroup v1 hierarchy for it)");
}

void V1Cgroup::add_process(pid_t pid) {
  for (const auto& d : paths()) write_file(d / "cgroup.procs", std::to_string(pid));
}

void V1Cgroup::apply_memory(const Resources& r) {
  if (r.memory_reservation) {
    fs::write_control(dir("memory"), "memory", "memory.soft_limit_in_bytes",
                      limit_value(*r.memory_reservation));
  }
  const auto& mem = dir("memory");
  auto set_limit = [&] {
    if (r.memory_limit) {
      fs::write_control(mem, "memory", "memory.limit_in_bytes", limit_value(*r.memory_limit));
    }
  };
  auto set_memsw = [&] {
    if (r.memory_swap) {
      fs::write_control(mem, "memory", "memory.memsw.limit_in_bytes", limit_value(*r.memory_swap));
    }
  };
  // The kernel keeps limit <= memsw at every step, so raising needs memsw first and
  // lowering needs the limit first; try one order and fall back to the other.
  try {
    set_limit();
    set_memsw();
  } catch (const SysError& e) {
    if (e.code() != EINVAL && e.code() != EBUSY) throw;
    set_memsw();
    set_limit();
  }
  if (r.memory_swappiness) {
    fs::write_control(mem, "memory", "memory.swappiness", std::to_string(*r.memory_swappiness));
  }
  if (r.disable_oom_killer) {
    fs::write_control(mem, "memory", "memory.oom_control", *r.disable_oom_killer ? "1" : "0");
  }
}

void V1Cgroup::apply(const Resources& r) {
  if (!r.unified.empty()) {
    throw Error("unified cgroup settings (" + r.unified.begin()->first +
                ") need cgroup v2; this host uses the v1 backend");
  }
  if (r.cpu_shares)
    fs::write_control(dir("cpu"), "cpu", "cpu.shares", std::to_string(*r.cpu_shares));
  if (r.cpu_period_us) {
    fs::write_control(dir("cpu"), "cpu", "cpu.cfs_period_us", std::to_string(*r.cpu_period_us));
  }
  if (r.cpu_quota_us) {
    fs::write_control(dir("cpu"), "cpu", "cpu.cfs_quota_us", limit_value(*r.cpu_quota_us));
  }
  if (r.cpuset_cpus) fs::write_control(dir("cpuset"), "cpuset", "cpuset.cpus", *r.cpuset_cpus);
  if (r.cpuset_mems) fs::write_control(dir("cpuset"), "cpuset", "cpuset.mems", *r.cpuset_mems);
  if (r.memory_limit || r.memory_reservation || r.memory_swap || r.memory_swappiness ||
      r.disable_oom_killer) {
    apply_memory(r);
  }
  if (r.pids_limit) {
    fs::write_control(dir("pids"), "pids", "pids.max",
                      *r.pids_limit < 0 ? "max" : std::to_string(*r.pids_limit));
  }
  if (r.io_weight) {
    const auto& blkio = dir("blkio");
    const char* file = fs::exists(blkio / "blkio.weight") ? "blkio.weight" : "blkio.bfq.weight";
    fs::write_control(blkio, "blkio", file, std::to_string(*r.io_weight));
  }
}

void V1Cgroup::apply_device_rules(const std::vector<DeviceRule>& rules) {
  const auto* d = find("devices");
  if (!d) {
    throw Error("controller devices is not mounted: the device policy cannot be enforced");
  }
  // One open file per list: each write(2) is one rule, and a dozen opens add up per container.
  UniqueFd allow, deny;
  for (const auto& rule : rules) {
    UniqueFd& fd = rule.allow ? allow : deny;
    const auto file = *d / (rule.allow ? "devices.allow" : "devices.deny");
    if (!fd) {
      fd.reset(::open(file.c_str(), O_WRONLY | O_CLOEXEC));
      if (!fd) throw_errno("open", file);
    }
    const std::string text = rule.to_v1();
    if (::write(fd.get(), text.data(), text.size()) < 0)
      throw_errno("write '" + text + "' to", file);
  }
}

Stats V1Cgroup::stats() const {
  Stats s;
  if (auto* d = find("cpuacct")) {
    s.cpu_usage_usec = ns_to_us(read_u64(*d / "cpuacct.usage"));
    auto ticks = read_flat_keyed(*d / "cpuacct.stat");
    const std::uint64_t hz = static_cast<std::uint64_t>(::sysconf(_SC_CLK_TCK));
    s.cpu_user_usec = ticks["user"] * 1000000 / hz;
    s.cpu_system_usec = ticks["system"] * 1000000 / hz;
  }
  if (auto* d = find("cpu")) {
    auto cpu = read_flat_keyed(*d / "cpu.stat");
    s.cpu_nr_periods = cpu["nr_periods"];
    s.cpu_nr_throttled = cpu["nr_throttled"];
    s.cpu_throttled_usec = ns_to_us(cpu["throttled_time"]);
  }
  if (auto* d = find("memory")) {
    s.memory_current = read_u64(*d / "memory.usage_in_bytes");
    s.memory_peak = read_u64(*d / "memory.max_usage_in_bytes");
    s.memory_limit = read_limit(*d / "memory.limit_in_bytes");
    // v1 counts only kills; the "limit hit" count (failcnt) includes successful reclaim.
    s.oom_kill_events = read_flat_keyed(*d / "memory.oom_control")["oom_kill"];
    s.oom_events = s.oom_kill_events;
  }
  if (auto* d = find("pids")) {
    s.pids_current = read_u64(*d / "pids.current");
    s.pids_limit = read_u64(*d / "pids.max");
  }
  return s;
}

void V1Cgroup::set_freezer(const char* state) {
  const auto& d = dir("freezer");
  auto file = d / "freezer.state";
  bool ok = fs::wait_until(
      [&] {
        // Re-writing FROZEN nudges tasks that were mid-fork when the first write landed.
        write_file(file, state);
        return trim(read_file(file)) == state;
      },
      kStateTimeout);
  if (!ok)
    throw Error(std::string("set ") + file.string() + " to " + state + ": timed out after 5 s");
}

void V1Cgroup::freeze() {
  set_freezer("FROZEN");
}
void V1Cgroup::thaw() {
  set_freezer("THAWED");
}

FreezerState V1Cgroup::freezer_state() const {
  std::string state = trim(read_file(dir("freezer") / "freezer.state"));
  if (state == "FROZEN") return FreezerState::Frozen;
  return state == "FREEZING" ? FreezerState::Freezing : FreezerState::Thawed;
}

std::vector<pid_t> V1Cgroup::pids() const {
  // Every hierarchy holds the same processes; prefer the one used for freezing.
  const auto* d = find("freezer");
  if (!d) d = find("pids");
  if (!d) d = &dirs_.begin()->second;
  return fs::subtree_pids(*d);
}

void V1Cgroup::kill_all() {
  const auto* freezer = find("freezer");
  if (freezer && !fs::exists(*freezer)) return;
  bool empty = fs::wait_until(
      [&] {
        auto left = pids();
        if (left.empty()) return true;
        // Frozen tasks cannot fork between our read of the list and the kill.
        if (freezer) freeze();
        fs::kill_pids(left);
        if (freezer) thaw();  // SIGKILL is delivered only once the task runs again
        return false;
      },
      kStateTimeout);
  if (!empty)
    throw Error("kill all in " + paths().front().string() + ": processes remain after 5 s");
}

void V1Cgroup::remove() {
  for (const auto& d : paths()) {
    if (fs::exists(d)) fs::remove_tree(d);
  }
}

std::unique_ptr<OomMonitor> V1Cgroup::watch_oom() const {
  return std::make_unique<V1OomMonitor>(dir("memory"));
}

}  // namespace skiff::cgroups
