// OCI conformance cases where skiff-runtime used to differ from crun and runc (issue 12,
// item 7): each test is one cause, run against the real binary with real containers.
#include <gtest/gtest.h>
#include <seccomp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "runtime_harness.h"

namespace skiff::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

std::string unique_id(const char* base) {
  std::string id = std::string("conformance-") + base + "-" + std::to_string(::getpid());
  return id;
}

// A default-EPERM profile allowing every native syscall numbered below `end`, except
// `without`: how a profile written before those syscalls existed looks to this kernel.
json old_profile(int end, const std::string& without = "") {
  json names = json::array();
  for (int nr = 0; nr < end; ++nr) {
    char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
    if (name == nullptr) continue;
    if (name != without) names.push_back(name);
    std::free(name);
  }
  return {{"defaultAction", "SCMP_ACT_ERRNO"},
          {"defaultErrnoRet", 1},
          {"syscalls", json::array({{{"names", names}, {"action", "SCMP_ACT_ALLOW"}}})}};
}

int native_nr(const char* name) {
  return seccomp_syscall_resolve_name(name);
}

// ---- close_range under the container's own filter ----

TEST(Conformance, CloseRangeRefusedByTheProfileFallsBackToProcSelfFd) {
  Runtime rt;
  Bundle b({"/bin/sh", "-c", "echo ok"});
  // Every syscall this kernel knows but close_range, so close_range gets EPERM (not the
  // ENOSYS of a syscall newer than the profile), loaded before the fd sweep because
  // noNewPrivileges is false.
  b.config()["linux"]["seccomp"] = old_profile(native_nr("close_range") + 64, "close_range");
  b.config()["process"]["noNewPrivileges"] = false;
  b.save();
  const std::string id = unique_id("close-range");
  auto r = rt({"run", "--bundle", b.dir().string(), id});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "ok\n");
  EXPECT_EQ(r.err.find("close_range"), std::string::npos) << r.err;
  EXPECT_TRUE(leftovers(rt, id, b.rootfs()).empty());
}

// ---- syscalls newer than the profile get ENOSYS ----

TEST(Conformance, ProfileOlderThanClone3StillLetsGlibcStartThreads) {
  Runtime rt;
  // glibc's pthread_create tries clone3 and falls back to clone only on ENOSYS.
  Bundle b({"/bin/skiff-probe", "thread"});
  b.config()["linux"]["seccomp"] = old_profile(native_nr("clone3"));
  b.save();
  const std::string id = unique_id("clone3");
  auto r = rt({"run", "--bundle", b.dir().string(), id});
  EXPECT_EQ(r.out, "thread ran\n") << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

// ---- linux.rootfsPropagation ----

class RootfsPropagation : public ::testing::TestWithParam<std::pair<const char*, const char*>> {};

TEST_P(RootfsPropagation, AppliesToTheNewRoot) {
  const auto& [propagation, mountinfo_tag] = GetParam();
  Runtime rt;
  // Field 5 of mountinfo is the mount point; the optional fields follow field 6.
  Bundle b({"/bin/sh", "-c", "awk '$5 == \"/\"' /proc/self/mountinfo"});
  b.config()["linux"]["rootfsPropagation"] = propagation;
  b.save();
  const std::string id = unique_id((std::string("propagation-") + propagation).c_str());
  auto r = rt({"run", "--bundle", b.dir().string(), id});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(mountinfo_tag), std::string::npos) << r.out;
  EXPECT_TRUE(leftovers(rt, id, b.rootfs()).empty());
}

INSTANTIATE_TEST_SUITE_P(Conformance, RootfsPropagation,
                         ::testing::Values(std::pair{"shared", " shared:"},
                                           std::pair{"rshared", " shared:"},
                                           std::pair{"unbindable", " unbindable"}),
                         [](const auto& p) { return std::string(p.param.first); });

// ---- namespaces not listed are inherited ----

TEST(Conformance, UnlistedNetworkIpcAndUtsNamespacesAreTheRuntimes) {
  Runtime rt;
  Bundle b({"/bin/skiff-probe", "report"});
  b.config()["linux"]["namespaces"] = json::array({{{"type", "pid"}}, {{"type", "mount"}}});
  b.config().erase("hostname");  // needs a UTS namespace of its own
  b.save();
  const std::string id = unique_id("inherit");
  auto r = rt({"run", "--bundle", b.dir().string(), id});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto rep = json::parse(r.out);
  for (const char* ns : {"net", "ipc", "uts"}) EXPECT_EQ(rep["namespaces"][ns], self_ns(ns)) << ns;
  EXPECT_NE(rep["namespaces"]["pid"], self_ns("pid"));
  EXPECT_NE(rep["namespaces"]["mnt"], self_ns("mnt"));
}

TEST(Conformance, UnlistedMountNamespaceIsTheRuntimesAndDeleteUnmountsTheRootfs) {
  Runtime rt;
  Bundle b(
      {"/bin/sh", "-c", "readlink /proc/self/ns/mnt; test -f /bin/skiff-probe && echo in-rootfs"});
  b.config()["linux"]["namespaces"] = json::array({{{"type", "pid"}}});
  b.config().erase("hostname");
  const std::string id = unique_id("no-mntns");
  // Run through a shell, not Runtime: place it in the VM's delegated cgroup ourselves.
  place_in_test_cgroup(b.config(), id);
  b.save();
  // A private mount namespace of its own for the runtime, so that nothing the container
  // mounts reaches the host's; the container must share it.
  const std::string script =
      "readlink /proc/self/ns/mnt; " SKIFF_RUNTIME
      " --root \"$1\" run --bundle \"$2\" \"$3\"; "
      "echo \"rc=$?\"; echo \"mounts=$(grep -c \" $4\" /proc/self/mountinfo)\"";
  auto r =
      run_command({"/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
                   script, "sh", rt.root().string(), b.dir().string(), id, b.rootfs().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string runtime_ns, container_ns, marker, rc, mounts;
  std::getline(lines, runtime_ns);
  std::getline(lines, container_ns);
  std::getline(lines, marker);
  std::getline(lines, rc);
  std::getline(lines, mounts);
  EXPECT_NE(runtime_ns, self_ns("mnt"));
  EXPECT_EQ(container_ns, runtime_ns) << r.out << r.err;
  EXPECT_EQ(marker, "in-rootfs") << r.out << r.err;
  EXPECT_EQ(rc, "rc=0") << r.err;
  EXPECT_EQ(mounts, "mounts=0") << "delete must unmount the rootfs and its mounts";
  EXPECT_TRUE(leftovers(rt, id, b.rootfs()).empty());
}

// ---- poststart and poststop hooks that fail ----

TEST(Conformance, FailingPoststartAndPoststopHooksWarnAndTheRestRun) {
  Runtime rt;
  Bundle b({"/bin/sh", "-c", "echo ran"});
  const fs::path marks = b.dir() / "marks";
  auto hook = [&](const std::string& script) {
    return json{{"path", "/bin/sh"}, {"args", {"sh", "-c", script}}};
  };
  for (const char* stage : {"poststart", "poststop"}) {
    b.config()["hooks"][stage] =
        json::array({hook("exit 3"), hook(std::string("echo ") + stage + " >> " + marks.string())});
  }
  b.save();
  const std::string id = unique_id("hooks");
  auto r = rt({"run", "--bundle", b.dir().string(), id});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "ran\n");
  EXPECT_EQ(read_text(marks), "poststart\npoststop\n");
  EXPECT_NE(r.err.find("warning: poststart hook /bin/sh: exited 3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("warning: poststop hook /bin/sh: exited 3"), std::string::npos) << r.err;
  EXPECT_TRUE(leftovers(rt, id, b.rootfs()).empty());
}

// ---- an existing cgroup is joined ----

bool unified_only() {
  struct stat st {};
  return ::stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0;
}

// Where the runtime puts `cgroups_path` on disk: the unified tree, or (v1) the memory
// hierarchy, one of those the container spans.
fs::path cgroup_dir(const std::string& cgroups_path) {
  return fs::path(unified_only() ? "/sys/fs/cgroup" : "/sys/fs/cgroup/memory") /
         cgroups_path.substr(1);
}

// Makes the cgroup as an outside manager would: with every missing level, and on v2 each
// new level's parent delegating the controllers it has.
void make_cgroup(const fs::path& dir) {
  std::vector<fs::path> missing;
  for (fs::path d = dir; !fs::exists(d); d = d.parent_path()) missing.push_back(d);
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (unified_only()) {
      std::istringstream controllers(read_text(it->parent_path() / "cgroup.controllers"));
      for (std::string c; controllers >> c;) {
        std::ofstream(it->parent_path() / "cgroup.subtree_control") << "+" << c;
      }
    }
    fs::create_directory(*it);
  }
}

TEST(Conformance, AnExistingCgroupIsJoinedWithItsLimitsApplied) {
  Runtime rt;
  Bundle b({"/bin/sh", "-c", "cat /proc/self/cgroup"});
  const std::string id = unique_id("cgroup");
  // Under the VM's delegated parent the harness sets this path itself.
  const char* parent = std::getenv("SKIFF_TEST_CGROUP_PARENT");
  const std::string path = parent ? std::string(parent) + "/skiff-runtime/" + id : "/skiff-" + id;
  b.config()["linux"]["cgroupsPath"] = path;
  b.config()["linux"]["resources"]["memory"] = {{"limit", 64 << 20}};
  b.save();
  const fs::path dir = cgroup_dir(path);
  make_cgroup(dir);
  ASSERT_TRUE(fs::is_directory(dir));

  ASSERT_EQ(rt({"create", "--bundle", b.dir().string(), id}).exit_code, 0);
  const std::string limit_file = unified_only() ? "memory.max" : "memory.limit_in_bytes";
  EXPECT_EQ(read_text(dir / limit_file), std::to_string(64 << 20) + "\n");
  auto pid = json::parse(rt({"state", id}).out)["pid"].get<int>();
  std::string procs = read_text(dir / "cgroup.procs");
  EXPECT_NE(procs.find(std::to_string(pid)), std::string::npos) << procs;
  EXPECT_EQ(rt({"start", id}).exit_code, 0);
  // As runc: the joined cgroup is the container's and goes with it.
  EXPECT_EQ(rt({"delete", "--force", id}).exit_code, 0);
  EXPECT_FALSE(fs::exists(dir));
  std::error_code ec;
  fs::remove(dir, ec);  // only if the test failed
}

// ---- process.apparmorProfile ----

TEST(Conformance, AppArmorProfileIsAnErrorWhereAppArmorIsOff) {
  if (read_text("/sys/module/apparmor/parameters/enabled").starts_with("Y")) {
    GTEST_SKIP() << "AppArmor is enabled here: the profile would be applied";
  }
  Runtime rt;
  Bundle b({"/bin/true"});
  b.config()["process"]["apparmorProfile"] = "skiff-conformance";
  b.save();
  const std::string id = unique_id("apparmor");
  auto r = rt({"create", "--bundle", b.dir().string(), id});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("process.apparmorProfile"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("AppArmor is not enabled"), std::string::npos) << r.err;
  EXPECT_TRUE(leftovers(rt, id, b.rootfs()).empty());
}

// ---- linux.resources.memory.kernel ----

TEST(Conformance, KernelMemoryLimitWarnsAndTheRestApplies) {
  Runtime rt;
  Bundle b({"/bin/skiff-probe", "sleep"});
  b.config()["linux"]["resources"]["memory"] = {{"limit", 48 << 20}, {"kernel", 16 << 20}};
  b.save();
  const std::string id = unique_id("kmem");
  auto r = rt({"create", "--bundle", b.dir().string(), id});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("warning: linux.resources.memory.kernel"), std::string::npos) << r.err;
  auto pid = json::parse(rt({"state", id}).out)["pid"].get<int>();
  // The memory limit of the init's cgroup, read through the host's cgroupfs.
  std::ifstream cg("/proc/" + std::to_string(pid) + "/cgroup");
  std::string limit;
  for (std::string line; std::getline(cg, line);) {
    auto second = line.find(':', line.find(':') + 1);
    std::string controllers = line.substr(line.find(':') + 1, second - line.find(':') - 1);
    std::string path = line.substr(second + 1);
    if (unified_only() && controllers.empty()) {
      limit = read_text("/sys/fs/cgroup" + path + "/memory.max");
    } else if (!unified_only() && controllers == "memory") {
      limit = read_text("/sys/fs/cgroup/memory" + path + "/memory.limit_in_bytes");
    }
  }
  EXPECT_EQ(limit, std::to_string(48 << 20) + "\n");
  EXPECT_EQ(rt({"delete", "--force", id}).exit_code, 0);
  EXPECT_TRUE(leftovers(rt, id, b.rootfs()).empty());
}

// ---- exec: everything after the container id is the process's ----

TEST(Conformance, ExecPassesOptionsAfterTheIdToTheProcess) {
  Runtime rt;
  Bundle b({"/bin/skiff-probe", "sleep", "60"});
  const std::string id = unique_id("exec-argv");
  ASSERT_EQ(rt({"run", "--detach", "--bundle", b.dir().string(), id}).exit_code, 0);
  // A health check like ["CMD", "pg_isready", "-h", "db"]: -h is the process's.
  auto h = rt({"exec", id, "sh", "-c", "echo \"$0 $1\"; exit 3", "-h", "db"});
  EXPECT_EQ(h.exit_code, 3) << h.out << h.err;
  EXPECT_EQ(h.out, "-h db\n");
  auto help = rt({"exec", id, "sh", "-c", "echo \"$0\"; exit 4", "--help"});
  EXPECT_EQ(help.exit_code, 4) << help.out << help.err;
  EXPECT_EQ(help.out, "--help\n");
  // A "--" after the id is dropped, one after the command kept; exec's own options before
  // the id still count.
  auto dashes = rt({"exec", "--env", "X=1", id, "--", "sh", "-c", "echo \"$X $0\"", "--"});
  EXPECT_EQ(dashes.exit_code, 0) << dashes.err;
  EXPECT_EQ(dashes.out, "1 --\n");
  auto own_help = rt({"exec", "--help"});
  EXPECT_EQ(own_help.exit_code, 0);
  EXPECT_NE(own_help.out.find("container id"), std::string::npos) << own_help.out;
  EXPECT_EQ(rt({"delete", "--force", id}).exit_code, 0);
}

}  // namespace
}  // namespace skiff::testing
