// The escape battery's host side: which probes exist and which layer stops each under
// Docker's defaults, the arguments `skiff-probe escape` gets, the config change that
// removes every protection (the control), and the checks on the probe's JSON lines.
// Shared by the skiff-runtime/podman suite and the agent suite.
#pragma once

#include <sys/types.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace skiff::security {

struct ProbeInfo {
  std::string name;   // as `skiff-probe escape` prints it
  std::string layer;  // what stops it in a default container
};
const std::vector<ProbeInfo>& probes();

struct Outcome {
  bool escaped = false;
  std::string detail;
};
// The probe's stdout (other lines ignored) -> probe name -> outcome.
std::map<std::string, Outcome> parse_outcomes(const std::string& out);

// GoogleTest failures for every probe missing from `got` or reported escaped, except that
// an escape of a probe in `tolerated` (probe -> why) is printed, not failed.
void expect_contained(const std::map<std::string, Outcome>& got, const std::string& where,
                      const std::string& raw,
                      const std::map<std::string, std::string>& tolerated = {});
// GoogleTest failures for every probe of `names` missing or not reported escaped.
void expect_escaped(const std::map<std::string, Outcome>& got,
                    const std::vector<std::string>& names, const std::string& where,
                    const std::string& raw);

// A process of the test's own (outside any container), for the ptrace probe: runs
// `skiff-probe sleep 600 MARKER` and kills it on destruction.
class HostSleeper {
 public:
  explicit HostSleeper(const std::string& probe_binary);
  ~HostSleeper();
  HostSleeper(const HostSleeper&) = delete;
  HostSleeper& operator=(const HostSleeper&) = delete;
  pid_t pid() const { return pid_; }
  const std::string& marker() const { return marker_; }

 private:
  pid_t pid_ = -1;
  std::string marker_;
};

bool in_vm();  // SKIFF_IN_VM=1: the throw-away VM, where destructive controls may run

// "MAJ:MIN" of the disk the block probe attacks: in the VM the virtio disk (vda), on the
// host the first disk that is not a loop, ram or zram device; empty if there is none.
std::string block_device();
// The marker the VM's disk carries at offset 0 (SKIFF_ESCAPE_DISK_MARKER); empty on the host.
std::string disk_marker();

// Arguments after "skiff-probe": `escape` and its options for this host.
std::vector<std::string> battery_args(const HostSleeper& sleeper, bool destructive,
                                      const std::vector<std::string>& skip = {});

// The control: what `podman run --privileged` makes, and more: every capability this
// process may grant, no seccomp, all devices, no masked or read-only paths, /sys and
// /sys/fs/cgroup writable, the host's pid, network and cgroup namespaces.
void remove_protection(nlohmann::json& config);

// The probes whose control must report an escape here, plus why each other one is not
// run here (printed by the caller). In the VM: all of them.
struct Controls {
  std::vector<std::string> expected;
  std::vector<std::string> skip;                // passed to the probe: not even attempted here
  std::map<std::string, std::string> not_here;  // probe -> reason
};
Controls controls_here();

}  // namespace skiff::security
