// skiff-runtime as a black box: real containers from a busybox bundle, with skiff-probe
// inside reporting what the container sees. Runs as root on the host (cgroup v1) and in
// the pure cgroup-v2 VM.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <thread>

#include "runtime_harness.h"

namespace skiff::testing {
namespace {

using nlohmann::json;

const std::vector<std::string> kReport = {"/bin/skiff-probe", "report",       "--check-path",
                                          "/proc/keys",       "--check-path", "/proc/sys",
                                          "--check-path",     "/dev/null"};

std::string unique_id(const char* base) {
  std::string id = std::string(base) + "-" + std::to_string(::getpid()) + "-" +
                   ::testing::UnitTest::GetInstance()->current_test_info()->name();
  std::replace(id.begin(), id.end(), '/', '-');  // parameterised names hold '/'
  return id;
}

json run_report(Bundle& b, const Runtime& rt, const std::string& id) {
  b.save();
  auto r = rt({"run", "--bundle", b.dir().string(), id});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  try {
    return json::parse(r.out);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not a probe report: " << r.out << "\nstderr: " << r.err;
    return json::object();
  }
}

TEST(Runtime, RunPrintsTheWorkloadsOutputAndExitCode) {
  Runtime rt;
  Bundle b({"/bin/sh", "-c", "echo hi; exit 7"});
  auto r = rt({"run", "--bundle", b.dir().string(), unique_id("echo")});
  EXPECT_EQ(r.out, "hi\n");
  EXPECT_EQ(r.exit_code, 7) << r.err;
  EXPECT_TRUE(leftovers(rt, unique_id("echo"), b.rootfs()).empty());
}

TEST(Runtime, ContainerGetsItsOwnNamespacesAndIsPid1) {
  Runtime rt;
  Bundle b(kReport);
  json rep = run_report(b, rt, unique_id("ns"));
  ASSERT_TRUE(rep.contains("namespaces"));
  for (const char* ns : {"pid", "mnt", "uts", "ipc", "net"}) {
    EXPECT_NE(rep["namespaces"][ns], self_ns(ns)) << ns << " namespace is the host's";
  }
  EXPECT_EQ(rep["pid"], 1);
  EXPECT_EQ(rep["hostname"], b.config()["hostname"]);
}

TEST(Runtime, SecurityDefaultsApply) {
  Runtime rt;
  Bundle b(kReport);
  json rep = run_report(b, rt, unique_id("sec"));
  // Docker's default set: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP
  // NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP.
  EXPECT_EQ(rep["capabilities"]["CapEff"], "00000000a80425fb");
  EXPECT_EQ(rep["capabilities"]["CapBnd"], "00000000a80425fb");
  EXPECT_EQ(rep["no_new_privs"], true);
  EXPECT_EQ(rep["rlimits"]["RLIMIT_NOFILE"]["soft"], 1024);
  // Masked: /proc/keys is /dev/null now. Read-only: /proc/sys.
  EXPECT_EQ(rep["paths"]["/proc/keys"]["type"], "char");
  EXPECT_EQ(rep["paths"]["/proc/keys"]["rdev"], "1:3");
  EXPECT_EQ(rep["paths"]["/proc/sys"]["writable"], false);
  EXPECT_EQ(rep["paths"]["/dev/null"]["rdev"], "1:3");
}

TEST(Runtime, UserCapabilitiesRlimitsAndSeccompFromTheSpec) {
  Runtime rt;
  Bundle b(kReport);
  auto& p = b.config()["process"];
  p["user"] = {{"uid", 1000}, {"gid", 1000}, {"additionalGids", {2000}}};
  p["capabilities"] = {{"bounding", {"CAP_NET_BIND_SERVICE"}},
                       {"effective", {"CAP_NET_BIND_SERVICE"}},
                       {"permitted", {"CAP_NET_BIND_SERVICE"}},
                       {"inheritable", {"CAP_NET_BIND_SERVICE"}},
                       {"ambient", {"CAP_NET_BIND_SERVICE"}}};
  p["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"soft", 256}, {"hard", 512}}};
  b.config()["linux"]["seccomp"] = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"syscalls", {{{"names", {"mkdirat", "mkdir"}}, {"action", "SCMP_ACT_ERRNO"}}}}};
  json rep = run_report(b, rt, unique_id("user"));
  EXPECT_EQ(rep["uid"], 1000);
  EXPECT_EQ(rep["gid"], 1000);
  EXPECT_EQ(rep["groups"], json::array({2000}));
  EXPECT_EQ(rep["capabilities"]["CapEff"], "0000000000000400");
  EXPECT_EQ(rep["capabilities"]["CapAmb"], "0000000000000400");
  EXPECT_EQ(rep["rlimits"]["RLIMIT_NOFILE"]["soft"], 256);
  EXPECT_EQ(rep["rlimits"]["RLIMIT_NOFILE"]["hard"], 512);
  EXPECT_EQ(rep["seccomp"]["mode"], 2);
}

TEST(Runtime, CgroupLimitsAreVisibleInside) {
  Runtime rt;
  Bundle b(kReport);
  b.config()["linux"]["resources"] = {{"memory", {{"limit", 67108864}}}, {"pids", {{"limit", 50}}}};
  json rep = run_report(b, rt, unique_id("cg"));
  const auto& lim = rep["cgroup_limits"];
  std::string mem = lim.value("memory.max", lim.value("memory.limit_in_bytes", std::string()));
  EXPECT_EQ(mem, "67108864") << lim.dump();
  EXPECT_EQ(lim.value("pids.max", ""), "50") << lim.dump();
}

// A new cgroup namespace is rooted at the container's own cgroups: an init that unshared
// it before the runtime moved it (v1 has no CLONE_INTO_CGROUP) would show paths below the
// runtime's cgroup here instead of "/".
TEST(Runtime, CgroupNamespaceIsRootedAtTheContainersCgroups) {
  Runtime rt;
  Bundle b(kReport);
  b.config()["linux"]["namespaces"].push_back({{"type", "cgroup"}});
  b.config()["linux"]["resources"] = {{"pids", {{"limit", 50}}}};
  json rep = run_report(b, rt, unique_id("cgns"));
  ASSERT_TRUE(rep["cgroup"].is_array()) << rep.dump();
  ASSERT_FALSE(rep["cgroup"].empty());
  for (const auto& line : rep["cgroup"]) {
    std::string l = line.get<std::string>();
    if (l.find(":name=") != std::string::npos) continue;  // named hierarchies are not ours
    EXPECT_TRUE(l.ends_with(":/")) << l << " in " << rep["cgroup"].dump();
  }
  EXPECT_EQ(rep["cgroup_limits"].value("pids.max", ""), "50") << rep["cgroup_limits"].dump();
}

// v1: deny-all plus the standard devices. v2 has no device controller file (an eBPF
// program would be needed, which skiff does not load yet: docs/runtime.md).
TEST(Runtime, DeviceCgroupAllowsOnlyTheStandardDevices) {
  Runtime rt;
  Bundle b({"/bin/sh", "-c",
            "cat /sys/fs/cgroup/devices/devices.list 2>&1 || echo no-devices-controller"});
  auto r = rt({"run", "--bundle", b.dir().string(), unique_id("dev")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  if (r.out.find("no-devices-controller") != std::string::npos) {
    EXPECT_TRUE(std::filesystem::exists("/sys/fs/cgroup/cgroup.controllers"))
        << "v1 without devices?";
    return;
  }
  EXPECT_EQ(r.out.find("a *:* rwm"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("c 1:3 rwm"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("c 136:* rwm"), std::string::npos) << r.out;
}

TEST(Runtime, LifecycleCreateStartKillDelete) {
  Runtime rt;
  Bundle b({"/bin/skiff-probe", "trap-term", "0"});
  b.save();
  const std::string id = unique_id("life");
  auto state = [&] { return json::parse(rt({"state", id}).out); };
  ASSERT_EQ(rt({"create", "--bundle", b.dir().string(), id}).exit_code, 0);
  EXPECT_EQ(state()["status"], "created");
  EXPECT_GT(state()["pid"].get<int>(), 0);
  ASSERT_EQ(rt({"start", id}).exit_code, 0);
  EXPECT_EQ(state()["status"], "running");
  ASSERT_EQ(rt({"pause", id}).exit_code, 0);
  EXPECT_EQ(state()["status"], "paused");
  ASSERT_EQ(rt({"resume", id}).exit_code, 0);
  EXPECT_EQ(state()["status"], "running");
  auto list = json::parse(rt({"list", "--format", "json"}).out);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["id"], id);
  EXPECT_NE(rt({"delete", id}).exit_code, 0) << "deleting a running container needs --force";
  ASSERT_EQ(rt({"kill", id, "TERM"}).exit_code, 0);
  for (int i = 0; i < 100 && state()["status"] != "stopped"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(state()["status"], "stopped");
  EXPECT_EQ(rt({"kill", id, "TERM"}).err.find("container not running") != std::string::npos, true);
  ASSERT_EQ(rt({"delete", id}).exit_code, 0);
  auto gone = rt({"state", id});
  EXPECT_NE(gone.exit_code, 0);
  EXPECT_NE(gone.err.find("container \"" + id + "\" does not exist"), std::string::npos)
      << gone.err;
  EXPECT_TRUE(leftovers(rt, id, b.rootfs()).empty());
}

TEST(Runtime, ExecJoinsTheContainerAndReportsItsExitCode) {
  Runtime rt;
  Bundle b({"/bin/skiff-probe", "sleep", "60"});
  const std::string id = unique_id("exec");
  ASSERT_EQ(rt({"run", "--detach", "--bundle", b.dir().string(), id}).exit_code, 0);
  auto in_ns = rt(
      {"exec", id, "sh", "-c", "readlink /proc/self/ns/pid; readlink /proc/self/ns/mnt; exit 3"});
  EXPECT_EQ(in_ns.exit_code, 3) << in_ns.err;
  auto init = json::parse(rt({"state", id}).out)["pid"].get<int>();
  std::error_code ec;
  std::string want =
      std::filesystem::read_symlink("/proc/" + std::to_string(init) + "/ns/pid", ec).string() +
      "\n" +
      std::filesystem::read_symlink("/proc/" + std::to_string(init) + "/ns/mnt", ec).string() +
      "\n";
  EXPECT_EQ(in_ns.out, want);
  auto report = rt({"exec", id, "/bin/skiff-probe", "report"});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  auto rep = json::parse(report.out);
  EXPECT_EQ(rep["capabilities"]["CapEff"], "00000000a80425fb");
  EXPECT_EQ(rep["no_new_privs"], true);
  auto missing = rt({"exec", id, "/nope"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("exec /nope: No such file or directory"), std::string::npos)
      << missing.err;
  auto pids = json::parse(rt({"ps", "--format", "json", id}).out);
  EXPECT_EQ(pids.size(), 1u) << "exec'd processes must not linger: " << pids.dump();
  EXPECT_EQ(rt({"delete", "--force", id}).exit_code, 0);
}

// Each bad bundle: a clear error naming the field, and nothing left behind.
struct BadBundle {
  friend void PrintTo(const BadBundle& b, std::ostream* os) { *os << b.name; }
  const char* name;
  std::function<void(Bundle&)> spoil;
  const char* expected;  // a substring of the error
};

class RuntimeBadBundle : public ::testing::TestWithParam<BadBundle> {};

TEST_P(RuntimeBadBundle, IsRefusedWithAClearErrorAndLeavesNothing) {
  Runtime rt;
  Bundle b({"/bin/true"});
  b.save();
  GetParam().spoil(b);
  const std::string id = unique_id("bad");
  auto r = rt({"create", "--bundle", b.dir().string(), id});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find(GetParam().expected), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("child exited"), std::string::npos) << r.err;
  auto left = leftovers(rt, id, b.rootfs());
  EXPECT_TRUE(left.empty()) << left.front();
}

void set(Bundle& b, const json::json_pointer& ptr, json value) {
  b.config()[ptr] = std::move(value);
  b.save();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, RuntimeBadBundle,
    ::testing::Values(
        BadBundle{"MalformedJson",
                  [](Bundle& b) { std::ofstream(b.dir() / "config.json") << "{\"ociVersion\": "; },
                  "config.json: malformed JSON"},
        BadBundle{"MissingRootfs", [](Bundle& b) { set(b, "/root/path"_json_pointer, "nope"); },
                  "root.path"},
        BadBundle{"UnknownNamespaceType",
                  [](Bundle& b) {
                    b.config()["linux"]["namespaces"].push_back({{"type", "foo"}});
                    b.save();
                  },
                  "linux.namespaces[5].type"},
        BadBundle{"NonexistentNamespacePath",
                  [](Bundle& b) {
                    set(b, "/linux/namespaces/4"_json_pointer,
                        {{"type", "network"}, {"path", "/proc/999999999/ns/net"}});
                  },
                  "linux.namespaces[4].path"},
        BadBundle{"UnknownCapability",
                  [](Bundle& b) {
                    b.config()["process"]["capabilities"]["bounding"].push_back("CAP_FOO");
                    b.save();
                  },
                  "CAP_FOO"},
        BadBundle{"BadSeccompAction",
                  [](Bundle& b) {
                    set(b, "/linux/seccomp"_json_pointer, {{"defaultAction", "SCMP_ACT_BOGUS"}});
                  },
                  "linux.seccomp.defaultAction"},
        BadBundle{"RelativeMountDestination",
                  [](Bundle& b) {
                    b.config()["mounts"].push_back(
                        {{"destination", "tmp"}, {"type", "tmpfs"}, {"source", "tmpfs"}});
                    b.save();
                  },
                  "destination"},
        BadBundle{"MissingExecutable",
                  [](Bundle& b) { set(b, "/process/args"_json_pointer, {"/nope"}); },
                  "exec /nope: No such file or directory"},
        BadBundle{"BadMountSource",
                  [](Bundle& b) {
                    b.config()["mounts"].push_back({{"destination", "/data"},
                                                    {"type", "bind"},
                                                    {"source", "/nonexistent/skiff"},
                                                    {"options", {"bind"}}});
                    b.save();
                  },
                  "mount: mount /nonexistent/skiff at"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(Runtime, DuplicateIdIsRefusedAndTheFirstSurvives) {
  Runtime rt;
  Bundle b({"/bin/skiff-probe", "sleep", "30"});
  b.save();
  const std::string id = unique_id("dup");
  ASSERT_EQ(rt({"create", "--bundle", b.dir().string(), id}).exit_code, 0);
  auto r = rt({"create", "--bundle", b.dir().string(), id});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("already exists"), std::string::npos) << r.err;
  EXPECT_EQ(json::parse(rt({"state", id}).out)["status"], "created");
  EXPECT_EQ(rt({"delete", "--force", id}).exit_code, 0);
}

}  // namespace
}  // namespace skiff::testing
