// The escape battery through skiff-runtime and through podman --runtime skiff-runtime: a
// container with Docker's default capabilities and the default seccomp profile (the
// config image/bundle generates) runs `skiff-probe escape`, and no probe may escape. The
// control runs the same probes with every protection removed and must see them escape,
// so each probe is shown able to fail. Writes happen only in the VM (SKIFF_IN_VM=1).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>

#include "escape_battery.h"
#include "image/bundle/bundle.h"
#include "runtime_harness.h"

namespace skiff::security {
namespace {

using nlohmann::json;
using skiff::testing::CommandResult;
using skiff::testing::run_command;
using skiff::testing::Runtime;

std::string where() {
  return in_vm() ? "pure cgroup v2 VM" : "host";
}

// A bundle directory in /run over a busybox + skiff-probe rootfs. The rootfs comes from
// SKIFF_ESCAPE_ROOTFS when in_vm.sh built it on the host (make-rootfs.sh takes minutes
// under the VM's emulation), else from make-rootfs.sh here; containers write only to
// their own /dev tmpfs.
class EscapeBundle {
 public:
  EscapeBundle() {
    std::string tmpl = "/run/skiff-escape-bundle-XXXXXX";
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp " + tmpl);
    dir_ = tmpl;
    if (const char* prebuilt = std::getenv("SKIFF_ESCAPE_ROOTFS")) {
      rootfs_ = prebuilt;
      return;
    }
    rootfs_ = dir_ / "rootfs";
    auto r =
        run_command({"/bin/bash", SKIFF_FIXTURES "/make-rootfs.sh", rootfs_.string(), SKIFF_PROBE});
    if (r.exit_code != 0) throw std::runtime_error("make-rootfs.sh: " + r.err);
  }
  ~EscapeBundle() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  EscapeBundle(const EscapeBundle&) = delete;
  EscapeBundle& operator=(const EscapeBundle&) = delete;
  const std::filesystem::path& dir() const { return dir_; }
  const std::filesystem::path& rootfs() const { return rootfs_; }

 private:
  std::filesystem::path dir_, rootfs_;
};

// Docker's defaults for a container whose command is skiff-probe `args`.
json default_config(const EscapeBundle& b, const std::vector<std::string>& args) {
  json cmd = json::array({"/bin/skiff-probe"});
  for (const auto& a : args) cmd.push_back(a);
  image::BundleOverrides overrides;
  json config = image::make_runtime_config({{"Cmd", cmd}}, overrides, b.rootfs());
  config["root"]["path"] = b.rootfs().string();
  return config;
}

CommandResult run(const Runtime& rt, const EscapeBundle& b, const json& config,
                  const std::string& id) {
  std::ofstream(b.dir() / "config.json") << config.dump(2);
  return rt({"run", "--bundle", b.dir().string(), id}, 120);
}

// Makes sure an interface other than lo exists, so a raw socket outside a network
// namespace has something to reach. Only the throw-away VM (which has just lo) needs one.
void ensure_an_interface_beyond_lo() {
  if (!in_vm()) return;
  for (const auto& e : std::filesystem::directory_iterator("/sys/class/net")) {
    if (e.path().filename() != "lo") return;
  }
  auto r = run_command(
      {"/sbin/ip", "link", "add", "escape0", "type", "veth", "peer", "name", "escape1"});
  ASSERT_EQ(r.exit_code, 0) << "ip link add: " << r.err;
}

TEST(EscapeBattery, SkiffRuntimeWithDockerDefaultsStopsEveryProbe) {
  HostSleeper sleeper(SKIFF_PROBE);
  Runtime rt;
  EscapeBundle b;
  const std::string id = "escape-" + std::to_string(::getpid());
  auto r = run(rt, b, default_config(b, battery_args(sleeper, false)), id);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto got = parse_outcomes(r.out);
  expect_contained(got, "skiff-runtime on the " + where(), r.out);
  if (!disk_marker().empty()) {
    EXPECT_EQ(got["mknod_block_device"].detail.find("marker found"), std::string::npos);
  }
  std::cout << r.out;
}

TEST(EscapeBattery, ControlWithoutProtectionReportsEachEscape) {
  ensure_an_interface_beyond_lo();
  HostSleeper sleeper(SKIFF_PROBE);
  Runtime rt;
  EscapeBundle b;
  Controls controls = controls_here();
  for (const auto& [probe, reason] : controls.not_here) {
    std::cout << "control not run here: " << probe << ": " << reason << "\n";
  }
  json config = default_config(b, battery_args(sleeper, in_vm(), controls.skip));
  remove_protection(config);
  const std::string id = "escape-control-" + std::to_string(::getpid());
  auto r = run(rt, b, config, id);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto got = parse_outcomes(r.out);
  expect_escaped(got, controls.expected, "control on the " + where(), r.out);
  if (!disk_marker().empty()) {
    // The disk really carries the marker: the protected run's "no marker" means something.
    EXPECT_NE(got["mknod_block_device"].detail.find("marker found"), std::string::npos)
        << got["mknod_block_device"].detail;
  }
  std::cout << r.out;
}

// podman with Docker's default capabilities (podman's own default set lacks MKNOD,
// NET_RAW and AUDIT_WRITE) and its default seccomp profile, running skiff-runtime.
TEST(EscapeBattery, PodmanWithSkiffRuntimeStopsEveryProbe) {
  if (in_vm()) GTEST_SKIP() << "podman runs on the host only";
  const std::string tag = std::to_string(::getpid());
  const std::string store = "/var/lib/skiff-test/podman-escape-" + tag;
  const std::string runroot = "/run/skiff-test/podman-escape-" + tag;
  ::setenv("SKIFF_PODMAN_ROOT", store.c_str(), 1);
  ::setenv("SKIFF_PODMAN_RUNROOT", runroot.c_str(), 1);
  ::setenv("SKIFF_PODMAN_RUNTIME", SKIFF_RUNTIME, 1);
  auto podman = [](std::vector<std::string> args) {
    args.insert(args.begin(), {"/bin/bash", SKIFF_FIXTURES "/podman.sh"});
    return run_command(args, 300);
  };
  const std::string image = "localhost/skiff-escape-test:latest";
  auto made = run_command({"/bin/bash", SKIFF_FIXTURES "/make-image.sh", image, SKIFF_PROBE}, 300);
  ASSERT_EQ(made.exit_code, 0) << made.err;
  {
    HostSleeper sleeper(SKIFF_PROBE);
    std::vector<std::string> args = {"run",       "--rm", "--cap-add", "MKNOD,NET_RAW,AUDIT_WRITE",
                                     "--network", "none", image,       "/bin/skiff-probe"};
    for (const auto& a : battery_args(sleeper, false)) args.push_back(a);
    auto r = podman(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    // podman brings its own profile (containers-common), which allows ptrace and unshare
    // (for nested containers); skiff-runtime enforces the profile it is given. Neither call
    // leaves the container by itself: a sibling in the same container, a namespace of its own.
    const std::string why = "containers-common's default seccomp profile allows it";
    expect_contained(parse_outcomes(r.out), "podman --runtime skiff-runtime on the host", r.out,
                     {{"ptrace_sibling", why}, {"unshare_userns_mount", why}});
    auto info = podman({"info", "--format", "{{.Host.OCIRuntime.Path}}"});
    EXPECT_NE(info.out.find("skiff-runtime"), std::string::npos)
        << "podman is not using skiff-runtime";
    std::cout << r.out;
  }
  podman({"rm", "--all", "--force", "--time", "0"});
  podman({"system", "reset", "--force"});
  std::error_code ec;
  std::filesystem::remove_all(store, ec);
  std::filesystem::remove_all(runroot, ec);
}

}  // namespace
}  // namespace skiff::security
