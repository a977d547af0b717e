// skiff-runtime as a black box, beyond the basic lifecycle: hooks, user namespaces, joining
// a namespace by path, --no-pivot, update, features/spec, sysctl, kill --all, list and ps.
// Real containers from the busybox bundle; root on the host (cgroup v1) and in the v2 VM.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "runtime_harness.h"
#include "tests/support/temp_dir.h"

namespace skiff::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::vector<std::string> kReport = {"/bin/skiff-probe", "report"};

std::string unique_id(const char* base) {
  std::string id = std::string(base) + "-" + std::to_string(::getpid()) + "-" +
                   ::testing::UnitTest::GetInstance()->current_test_info()->name();
  std::replace(id.begin(), id.end(), '/', '-');
  return id;
}

std::string squeeze_spaces(const std::string& s) {
  std::istringstream in(s);
  std::string out, word;
  while (in >> word) out += (out.empty() ? "" : " ") + word;
  return out;
}

// Under /run: the runtime's bundles and state live on the same tmpfs.
struct TempDir : skiff::test::TempDir {
  TempDir() : skiff::test::TempDir("skiff-features", "/run") {}
};

json parse_or_fail(const CommandResult& r) {
  try {
    return json::parse(r.out);
  } catch (const std::exception&) {
    ADD_FAILURE() << "not JSON: " << r.out << "\nstderr: " << r.err;
    return json::object();
  }
}

json run_report(Bundle& b, const Runtime& rt, const std::string& id,
                std::vector<std::string> extra_flags = {}) {
  b.save();
  std::vector<std::string> args = {"run"};
  args.insert(args.end(), extra_flags.begin(), extra_flags.end());
  args.insert(args.end(), {"--bundle", b.dir().string(), id});
  auto r = rt(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return parse_or_fail(r);
}

std::string status_of(const Runtime& rt, const std::string& id) {
  auto r = rt({"state", id});
  if (r.exit_code != 0) return "<state failed: " + r.err + ">";
  return json::parse(r.out).value("status", "<no status>");
}

bool wait_for_status(const Runtime& rt, const std::string& id, const std::string& want) {
  for (int i = 0; i < 250; ++i) {
    if (status_of(rt, id) == want) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

json ps_json(const Runtime& rt, const std::string& id) {
  auto r = rt({"ps", "--format", "json", id});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return parse_or_fail(r);
}

// A hook that appends "STAGE <state JSON from stdin>" as one line to `log` (shell builtins
// only, so the container's busybox sh can run it as well as the host's).
json logging_hook(const std::string& stage, const std::string& log) {
  return {{"path", "/bin/sh"},
          {"args",
           {"sh", "-c",
            std::string(stage == "startContainer" ? "sleep 1; " : "") +
                "IFS= read -r s; printf '%s %s\\n' " + stage + " \"$s\" >> " + log}},
          {"env", {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}}};
}

// ---------------------------------------------------------------------------------------
// 1. Hooks

TEST(RuntimeFeatures, AllSixHookStagesRunInOrderWithTheState) {
  Runtime rt;
  TempDir host;
  Bundle b({"/bin/skiff-probe", "sleep", "60"});
  const std::string id = unique_id("hooks");
  const std::string host_log = (host.path() / "log").string();
  // startContainer runs in the container after pivot_root: it sees the host dir here.
  b.config()["mounts"].push_back({{"destination", "/hooklog"},
                                  {"type", "bind"},
                                  {"source", host.path().string()},
                                  {"options", {"rbind", "rw"}}});
  json hooks;
  for (const char* stage :
       {"prestart", "createRuntime", "createContainer", "poststart", "poststop"}) {
    hooks[stage] = json::array({logging_hook(stage, host_log)});
  }
  // Slow on purpose: poststart must still come after it (it precedes the user process).
  hooks["startContainer"] = json::array({logging_hook("startContainer", "/hooklog/log")});
  b.config()["hooks"] = hooks;
  b.save();

  auto created = rt({"create", "--bundle", b.dir().string(), id});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  auto started = rt({"start", id});
  ASSERT_EQ(started.exit_code, 0) << started.err;
  EXPECT_EQ(started.err, "") << "a hook failed";
  // Let the (slow) startContainer hook finish before killing the container.
  for (int i = 0; i < 250 && read_text(host_log).find("startContainer") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(rt({"kill", id, "KILL"}).exit_code, 0);
  EXPECT_TRUE(wait_for_status(rt, id, "stopped")) << status_of(rt, id);
  auto deleted = rt({"delete", id});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  EXPECT_EQ(deleted.err, "") << "a poststop hook failed";

  std::vector<std::string> stages;
  std::map<std::string, json> states;
  std::istringstream log(read_text(host_log));
  for (std::string line; std::getline(log, line);) {
    auto space = line.find(' ');
    ASSERT_NE(space, std::string::npos) << line;
    std::string stage = line.substr(0, space);
    stages.push_back(stage);
    try {
      states[stage] = json::parse(line.substr(space + 1));
    } catch (const std::exception&) {
      ADD_FAILURE() << stage << " got no valid state JSON on stdin: " << line;
    }
  }
  EXPECT_EQ(stages, (std::vector<std::string>{"prestart", "createRuntime", "createContainer",
                                              "startContainer", "poststart", "poststop"}));
  // The spec's statuses: creating until create returns, running after the user process
  // started, stopped after it exited. startContainer runs between start and exec.
  const std::map<std::string, std::vector<std::string>> want_status = {
      {"prestart", {"creating"}},        {"createRuntime", {"creating"}},
      {"createContainer", {"creating"}}, {"startContainer", {"created", "running"}},
      {"poststart", {"running"}},        {"poststop", {"stopped"}}};
  for (const auto& [stage, allowed] : want_status) {
    if (!states.contains(stage)) continue;  // the order check above already failed
    const json& s = states[stage];
    EXPECT_EQ(s.value("id", ""), id) << stage << ": " << s.dump();
    EXPECT_EQ(s.value("ociVersion", ""), "1.1.0") << stage << ": " << s.dump();
    EXPECT_EQ(fs::path(s.value("bundle", "")), b.dir()) << stage << ": " << s.dump();
    std::string status = s.value("status", "<none>");
    EXPECT_NE(std::find(allowed.begin(), allowed.end(), status), allowed.end())
        << stage << " saw status " << status;
    if (stage != "poststop") {
      EXPECT_GT(s.value("pid", 0), 0) << stage << ": " << s.dump();
    }
  }
  EXPECT_TRUE(leftovers(rt, id, b.rootfs()).empty());
}

TEST(RuntimeFeatures, FailingCreateRuntimeHookFailsCreateAndLeavesNothing) {
  Runtime rt;
  TempDir host;
  fs::path hook = host.path() / "fail-hook.sh";
  std::ofstream(hook) << "#!/bin/sh\nexit 3\n";
  fs::permissions(hook, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                            fs::perms::others_read | fs::perms::others_exec);
  Bundle b({"/bin/true"});
  b.config()["hooks"]["createRuntime"] = json::array({{{"path", hook.string()}}});
  b.save();
  const std::string id = unique_id("hookfail");
  auto r = rt({"create", "--bundle", b.dir().string(), id});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("createRuntime"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(hook.string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("exited 3"), std::string::npos) << r.err;
  auto left = leftovers(rt, id, b.rootfs());
  EXPECT_TRUE(left.empty()) << left.front();
}

TEST(RuntimeFeatures, HookThatOutlivesItsTimeoutFailsCreate) {
  Runtime rt;
  Bundle b({"/bin/true"});
  b.config()["hooks"]["createRuntime"] =
      json::array({{{"path", "/bin/sh"}, {"args", {"sh", "-c", "sleep 5"}}, {"timeout", 1}}});
  b.save();
  const std::string id = unique_id("hooktimeout");
  auto t0 = std::chrono::steady_clock::now();
  auto r = rt({"create", "--bundle", b.dir().string(), id});
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("timed out"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("createRuntime"), std::string::npos) << r.err;
  EXPECT_LT(took, std::chrono::milliseconds(4500)) << "the hook was not killed at its timeout";
  auto left = leftovers(rt, id, b.rootfs());
  EXPECT_TRUE(left.empty()) << left.front();
}

// ---------------------------------------------------------------------------------------
// 2. User namespace

TEST(RuntimeFeatures, UserNamespaceMapsRootToAnUnprivilegedHostRange) {
  Runtime rt;
  Bundle b(kReport);
  // The container's root is host uid 100000: it must be able to walk to the rootfs, which
  // sits in a mkdtemp (0700) directory of the harness.
  fs::permissions(b.rootfs().parent_path(), fs::perms::group_exec | fs::perms::others_exec,
                  fs::perm_options::add);
  b.config()["linux"]["namespaces"].push_back({{"type", "user"}});
  const json mapping = json::array({{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}});
  b.config()["linux"]["uidMappings"] = mapping;
  b.config()["linux"]["gidMappings"] = mapping;
  json rep = run_report(b, rt, unique_id("userns"));
  EXPECT_EQ(rep["uid"], 0) << rep.dump();
  EXPECT_EQ(rep["gid"], 0) << rep.dump();
  ASSERT_TRUE(rep["uid_map"].is_string()) << rep.dump();
  EXPECT_EQ(squeeze_spaces(rep["uid_map"].get<std::string>()), "0 100000 65536");
  ASSERT_TRUE(rep["gid_map"].is_string()) << rep.dump();
  EXPECT_EQ(squeeze_spaces(rep["gid_map"].get<std::string>()), "0 100000 65536");
  EXPECT_NE(rep["namespaces"]["user"], self_ns("user"));
  EXPECT_EQ(rep["pid"], 1);
}

// ---------------------------------------------------------------------------------------
// 3. Joining a namespace by path

class NetNs {
 public:
  NetNs() : name_("skiff-test-" + std::to_string(::getpid())) {
    auto r = run_command({"/usr/sbin/ip", "netns", "add", name_});
    if (r.exit_code != 0) throw std::runtime_error("ip netns add " + name_ + ": " + r.err);
  }
  NetNs(const NetNs&) = delete;
  NetNs& operator=(const NetNs&) = delete;
  ~NetNs() { run_command({"/usr/sbin/ip", "netns", "delete", name_}); }
  fs::path path() const { return "/run/netns/" + name_; }

 private:
  std::string name_;
};

TEST(RuntimeFeatures, JoinsANetworkNamespaceByPath) {
  Runtime rt;
  NetNs netns;
  // /run/netns/NAME is a bind mount of an nsfs file, not a symlink: its inode names it.
  struct stat st {};
  ASSERT_EQ(::stat(netns.path().c_str(), &st), 0);
  const std::string want = "net:[" + std::to_string(st.st_ino) + "]";
  ASSERT_NE(want, self_ns("net"));
  Bundle b(kReport);
  bool replaced = false;
  for (auto& ns : b.config()["linux"]["namespaces"]) {
    if (ns["type"] == "network") {
      ns["path"] = netns.path().string();
      replaced = true;
    }
  }
  ASSERT_TRUE(replaced);
  json rep = run_report(b, rt, unique_id("joinnet"));
  EXPECT_EQ(rep["namespaces"]["net"], want) << rep["namespaces"].dump();
  EXPECT_NE(rep["namespaces"]["mnt"], self_ns("mnt")) << "the other namespaces are new";
}

// ---------------------------------------------------------------------------------------
// 4. --no-pivot

TEST(RuntimeFeatures, RunWithNoPivotUsesTheRootfs) {
  Runtime rt;
  std::vector<std::string> args = kReport;
  args.insert(args.end(), {"--check-path", rt.root().string(), "--check-path", "/bin/busybox"});
  Bundle b(args);
  json rep = run_report(b, rt, unique_id("nopivot"), {"--no-pivot"});
  EXPECT_EQ(rep["pid"], 1);
  ASSERT_TRUE(rep["mounts"].is_array()) << rep.dump();
  std::map<std::string, std::string> types;
  for (const auto& m : rep["mounts"]) types[m.value("mount_point", "")] = m.value("fs_type", "");
  EXPECT_TRUE(types.contains("/")) << rep["mounts"].dump();
  EXPECT_EQ(types["/proc"], "proc") << rep["mounts"].dump();
  EXPECT_EQ(types["/dev"], "tmpfs") << rep["mounts"].dump();
  EXPECT_EQ(types["/sys"], "sysfs") << rep["mounts"].dump();
  // / is the busybox rootfs: the host's files (this runtime root) are out of reach.
  EXPECT_EQ(rep["cwd"], "/");
  EXPECT_EQ(rep["paths"][rt.root().string()]["exists"], false) << rep["paths"].dump();
  EXPECT_EQ(rep["paths"]["/bin/busybox"]["exists"], true) << rep["paths"].dump();
}

// ---------------------------------------------------------------------------------------
// 5. update

std::string pids_max_inside(const Runtime& rt, const std::string& id) {
  auto r = rt({"exec", id, "sh", "-c",
               "cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return squeeze_spaces(r.out);
}

TEST(RuntimeFeatures, UpdateChangesPidsMaxFromAFileAndFromStdin) {
  Runtime rt;
  TempDir tmp;
  Bundle b({"/bin/skiff-probe", "sleep", "60"});
  b.config()["linux"]["resources"]["pids"] = {{"limit", 100}};
  b.save();
  const std::string id = unique_id("update");
  auto r = rt({"run", "--detach", "--bundle", b.dir().string(), id});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(pids_max_inside(rt, id), "100");

  fs::path file = tmp.path() / "resources.json";
  std::ofstream(file) << R"({"pids": {"limit": 42}})";
  auto upd = rt({"update", "--resources", file.string(), id});
  EXPECT_EQ(upd.exit_code, 0) << upd.err;
  EXPECT_EQ(pids_max_inside(rt, id), "42");

  auto piped = run_command({"/bin/bash", "-c",
                            "echo '{\"pids\": {\"limit\": 43}}' | \"$0\" --root \"$1\" update "
                            "--resources - \"$2\"",
                            SKIFF_RUNTIME, rt.root().string(), id});
  EXPECT_EQ(piped.exit_code, 0) << piped.err;
  EXPECT_EQ(pids_max_inside(rt, id), "43");

  // The offending '}' is the 18th byte.
  std::ofstream(file, std::ios::trunc) << R"({"pids":{"limit":}})";
  auto bad = rt({"update", "--resources", file.string(), id});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("malformed JSON at byte 18"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find(file.string()), std::string::npos) << bad.err;
  EXPECT_EQ(pids_max_inside(rt, id), "43") << "a refused update must change nothing";
  EXPECT_EQ(rt({"delete", "--force", id}).exit_code, 0);
}

// ---------------------------------------------------------------------------------------
// 6. features and spec

TEST(RuntimeFeatures, FeaturesDescribesTheRuntime) {
  Runtime rt;
  auto r = rt({"features"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json f = parse_or_fail(r);
  EXPECT_EQ(f.value("ociVersionMax", ""), "1.1.0");
  ASSERT_TRUE(f["linux"]["namespaces"].is_array()) << f.dump();
  const auto& ns = f["linux"]["namespaces"];
  for (const char* want : {"user", "network", "pid", "mount"}) {
    EXPECT_NE(std::find(ns.begin(), ns.end(), want), ns.end()) << want << " in " << ns.dump();
  }
  const auto& hooks = f["hooks"];
  EXPECT_NE(std::find(hooks.begin(), hooks.end(), "createRuntime"), hooks.end()) << f.dump();
}

TEST(RuntimeFeatures, SpecWritesAConfigThatCreateAcceptsAndRefusesToOverwrite) {
  Runtime rt;
  TempDir dir;
  Bundle rootfs_source({});
  auto r = rt({"spec", "--bundle", dir.path().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  fs::path config = dir.path() / "config.json";
  ASSERT_TRUE(fs::exists(config));
  json spec = json::parse(read_text(config));
  EXPECT_EQ(spec.value("ociVersion", ""), "1.1.0");
  EXPECT_EQ(spec["root"]["path"], "rootfs");
  fs::create_directory_symlink(rootfs_source.rootfs(), dir.path() / "rootfs");

  const std::string id = unique_id("spec");
  auto created = rt({"create", "--bundle", dir.path().string(), id});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_EQ(status_of(rt, id), "created");
  EXPECT_EQ(rt({"delete", "--force", id}).exit_code, 0);
  EXPECT_TRUE(leftovers(rt, id, rootfs_source.rootfs()).empty());

  const std::string before = read_text(config);
  auto again = rt({"spec", "--bundle", dir.path().string()});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.err.find("exists"), std::string::npos) << again.err;
  EXPECT_EQ(read_text(config), before);
}

// ---------------------------------------------------------------------------------------
// 7. sysctl

TEST(RuntimeFeatures, SysctlAppliesInsideTheContainersNetworkNamespaceOnly) {
  Runtime rt;
  const fs::path host_file = "/proc/sys/net/ipv4/ip_forward";
  const std::string host_before = squeeze_spaces(read_text(host_file));
  ASSERT_FALSE(host_before.empty());
  // Ask for the value the host does not have, so inheriting the host's proves nothing.
  const std::string want = host_before == "1" ? "0" : "1";
  Bundle b(kReport);
  b.config()["linux"]["sysctl"] = {{"net.ipv4.ip_forward", want}};
  json rep = run_report(b, rt, unique_id("sysctl"));
  EXPECT_EQ(rep["sysctl"]["net.ipv4.ip_forward"], want) << rep["sysctl"].dump();
  EXPECT_NE(rep["namespaces"]["net"], self_ns("net"));
  EXPECT_EQ(squeeze_spaces(read_text(host_file)), host_before) << "the host's value changed";
}

// ---------------------------------------------------------------------------------------
// 8. kill --all

TEST(RuntimeFeatures, KillAllReachesEveryProcessInTheContainer) {
  Runtime rt;
  Bundle b({"/bin/sh", "-c", "sleep 100 & sleep 100 & wait"});
  const std::string id = unique_id("killall");
  auto r = rt({"run", "--detach", "--bundle", b.dir().string(), id});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json pids;
  for (int i = 0; i < 250; ++i) {
    pids = ps_json(rt, id);
    if (pids.size() >= 3) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(pids.size(), 3u) << "sh and two sleeps: " << pids.dump();
  auto k = rt({"kill", "--all", id, "KILL"});
  ASSERT_EQ(k.exit_code, 0) << k.err;
  for (int i = 0; i < 250 && !pids.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    pids = ps_json(rt, id);
  }
  EXPECT_TRUE(pids.empty()) << pids.dump();
  EXPECT_TRUE(wait_for_status(rt, id, "stopped")) << status_of(rt, id);
  EXPECT_EQ(rt({"delete", id}).exit_code, 0);
  EXPECT_TRUE(leftovers(rt, id, b.rootfs()).empty());
}

// ---------------------------------------------------------------------------------------
// 9. list and ps

TEST(RuntimeFeatures, ListShowsEveryContainerAndPsTheInit) {
  Runtime rt;
  Bundle running_b({"/bin/skiff-probe", "sleep", "60"});
  Bundle created_b({"/bin/skiff-probe", "sleep", "60"});
  const std::string running = unique_id("list-running");
  const std::string created = unique_id("list-created");
  auto r1 = rt({"run", "--detach", "--bundle", running_b.dir().string(), running});
  ASSERT_EQ(r1.exit_code, 0) << r1.err;
  auto r2 = rt({"create", "--bundle", created_b.dir().string(), created});
  ASSERT_EQ(r2.exit_code, 0) << r2.err;

  auto l = rt({"list", "--format", "json"});
  ASSERT_EQ(l.exit_code, 0) << l.err;
  json list = parse_or_fail(l);
  ASSERT_TRUE(list.is_array()) << l.out;
  ASSERT_EQ(list.size(), 2u) << list.dump();
  std::map<std::string, json> by_id;
  for (const auto& c : list) by_id[c.value("id", "")] = c;
  ASSERT_TRUE(by_id.contains(running)) << list.dump();
  ASSERT_TRUE(by_id.contains(created)) << list.dump();
  EXPECT_EQ(by_id[running]["status"], "running");
  EXPECT_EQ(by_id[created]["status"], "created");
  EXPECT_EQ(fs::path(by_id[running].value("bundle", "")), running_b.dir());

  const int init = json::parse(rt({"state", running}).out)["pid"].get<int>();
  EXPECT_GT(init, 0);
  EXPECT_EQ(by_id[running]["pid"], init);
  EXPECT_EQ(ps_json(rt, running), json::array({init}));
  const int created_init = json::parse(rt({"state", created}).out)["pid"].get<int>();
  EXPECT_EQ(ps_json(rt, created), json::array({created_init}));

  EXPECT_EQ(rt({"delete", "--force", running}).exit_code, 0);
  EXPECT_EQ(rt({"delete", "--force", created}).exit_code, 0);
  auto empty = rt({"list", "--format", "json"});
  EXPECT_EQ(parse_or_fail(empty), json::array());
}

}  // namespace
}  // namespace skiff::testing
