// The isolation fields end to end: a real agent runs busybox containers that report what
// they see, on the host (cgroup v1 devices) and in the pure-v2 VM (BPF device program).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "agent_harness.h"

namespace skiff::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A busybox container that runs `script` once and exits.
json shell_container(const std::string& name, const std::string& script) {
  json c = probe_container(name, {});
  c["command"] = json::array({"sh", "-c", script});
  return c;
}

class AgentIsolation : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::path("/run") / ("skiff-isolation-" + std::to_string(::getpid()));
    agent_ = std::make_unique<Agent>(root_ / "agent");
    agent_->start();
  }
  void TearDown() override {
    agent_.reset();
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);  // the agent tree is already gone
  }
  Agent& agent() { return *agent_; }

  // Runs the task to STOPPED; the container's log and the task's last view.
  std::pair<std::string, json> run_to_end(const json& definition, const std::string& name) {
    const std::string id = agent().run_task(definition);
    json t = agent().wait_status(id, "STOPPED", 60s);
    std::string log =
        agent().request("GET", "/v1/tasks/" + id + "/containers/" + name + "/logs").body;
    return {log, t};
  }

  // A device node of our own (mknod needs root, which these tests have).
  std::string make_node(const std::string& name, unsigned major_number, unsigned minor_number) {
    std::filesystem::create_directories(root_ / "nodes");
    const std::string path = (root_ / "nodes" / name).string();
    if (::mknod(path.c_str(), S_IFCHR | 0666, makedev(major_number, minor_number)) != 0) {
      ADD_FAILURE() << "mknod " << path << ": " << std::strerror(errno);
    }
    return path;
  }

  std::filesystem::path root_;
  std::unique_ptr<Agent> agent_;
};

// Writes and reads report "LABEL: ok" or "LABEL: <the shell's error>".
constexpr const char* kAccessHelpers =
    "w() { if e=$(sh -c \"echo x > $1\" 2>&1); then echo \"$2: ok\"; else echo \"$2: $e\"; fi; }; "
    "r() { if e=$(sh -c \"head -c1 $1 >/dev/null\" 2>&1); then echo \"$2: ok\"; "
    "else echo \"$2: $e\"; fi; }; ";

TEST_F(AgentIsolation, LinuxParametersDevicesMakeTheNodeWithItsPermissions) {
  // c 1:3 is /dev/null's driver: writes go nowhere. Major 42 is reserved for samples and has
  // no driver, so an open the device cgroup allows fails ENXIO, and one it refuses EPERM:
  // the two tell the rule apart without reaching any real device.
  const std::string null_node = make_node("null", 1, 3);
  const std::string ro_node = make_node("ro", 42, 7);
  const std::string rw_node = make_node("rw", 42, 8);
  json c = shell_container("dev", std::string(kAccessHelpers) +
                                      "stat -c '%n %F %t:%T' /dev/skiffnull; "
                                      "w /dev/skiffnull null-write; "
                                      "r /dev/skiffro ro-read; w /dev/skiffro ro-write; "
                                      "w /dev/skiffrw rw-write");
  c["linuxParameters"] = {
      {"devices",
       {{{"hostPath", null_node}, {"containerPath", "/dev/skiffnull"}},
        {{"hostPath", ro_node}, {"containerPath", "/dev/skiffro"}, {"permissions", {"read"}}},
        {{"hostPath", rw_node},
         {"containerPath", "/dev/skiffrw"},
         {"permissions", {"read", "write"}}}}}};
  auto [log, t] = run_to_end(task_definition("isolation-devices", json::array({c})), "dev");
  EXPECT_EQ(container(t, "dev")["exitCode"], 0) << t.dump(1);
  EXPECT_NE(log.find("/dev/skiffnull character special file 1:3"), std::string::npos) << log;
  EXPECT_NE(log.find("null-write: ok"), std::string::npos) << log;
  // Allowed by the rule, refused by the (absent) driver.
  const auto ro_read = log.find("ro-read: ");
  ASSERT_NE(ro_read, std::string::npos) << log;
  EXPECT_NE(log.find("No such device or address", ro_read), std::string::npos) << log;
  // permissions ["read"]: the device cgroup refuses the write before any driver is asked.
  const auto ro_write = log.find("ro-write: ");
  ASSERT_NE(ro_write, std::string::npos) << log;
  EXPECT_NE(log.find("Operation not permitted", ro_write), std::string::npos) << log;
  const auto rw_write = log.find("rw-write: ");
  ASSERT_NE(rw_write, std::string::npos) << log;
  EXPECT_NE(log.find("No such device or address", rw_write), std::string::npos) << log;
  EXPECT_EQ(log.find("Operation not permitted", rw_write), std::string::npos) << log;
}

TEST_F(AgentIsolation, MissingHostDeviceFailsTheContainerNamingFieldAndPath) {
  json c = shell_container("dev", "true");
  c["linuxParameters"] = {{"devices", {{{"hostPath", "/dev/skiff-isolation-no-such-device"}}}}};
  auto [log, t] = run_to_end(task_definition("isolation-nodev", json::array({c})), "dev");
  const std::string reason = container(t, "dev")["reason"].get<std::string>();
  EXPECT_NE(reason.find("containerDefinitions[0].linuxParameters.devices[0].hostPath: host "
                        "device \"/dev/skiff-isolation-no-such-device\": No such file or "
                        "directory"),
            std::string::npos)
      << t.dump(1);
  EXPECT_FALSE(container(t, "dev").contains("exitCode") &&
               container(t, "dev")["exitCode"].is_number())
      << "the container ran: " << t.dump(1);
}

// Every capability means the agent's bounding set, as in podman: capset refuses the rest
// (this host's set lacks CAP_SYS_RESOURCE).
TEST_F(AgentIsolation, PrivilegedHasEveryCapabilityNoSeccompHostDevicesAndWritableSys) {
  const std::string script =
      "grep -E '^(CapEff|Seccomp):' /proc/self/status; grep ' /sys sysfs ' /proc/mounts; "
      "if test -c /dev/kmsg; then echo kmsg: present; else echo kmsg: absent; fi";
  json plain = shell_container("plain", script);
  plain["essential"] = false;
  json priv = shell_container("priv", script);
  priv["privileged"] = true;
  priv["dependsOn"] = json::array({{{"containerName", "plain"}, {"condition", "SUCCESS"}}});
  const std::string id =
      agent().run_task(task_definition("isolation-privileged", json::array({plain, priv})));
  const json t = agent().wait_status(id, "STOPPED", 60s);
  EXPECT_EQ(container(t, "priv")["exitCode"], 0) << t.dump(1);
  auto log_of = [&](const std::string& name) {
    return agent().request("GET", "/v1/tasks/" + id + "/containers/" + name + "/logs").body;
  };
  const std::string p = log_of("priv");
  const std::string q = log_of("plain");

  // Every capability the agent (our child) may hold: our bounding set.
  const std::string status = read_all("/proc/self/status");
  const auto bnd = status.find("CapBnd:\t");
  ASSERT_NE(bnd, std::string::npos) << status;
  const std::string all = status.substr(bnd + 8, 16);
  EXPECT_NE(p.find(std::string("CapEff:\t") + all), std::string::npos) << p;
  EXPECT_NE(p.find("Seccomp:\t0"), std::string::npos) << p;
  EXPECT_NE(p.find("sysfs /sys sysfs rw,"), std::string::npos) << p;
  EXPECT_NE(p.find("kmsg: present"), std::string::npos) << p;
  // The unprivileged control in the same task has none of it.
  EXPECT_EQ(q.find(std::string("CapEff:\t") + all), std::string::npos) << q;
  EXPECT_NE(q.find("Seccomp:\t2"), std::string::npos) << q;
  EXPECT_NE(q.find("sysfs /sys sysfs ro,"), std::string::npos) << q;
  EXPECT_NE(q.find("kmsg: absent"), std::string::npos) << q;

  // And the task's status says so.
  const json described = agent().task(id);
  ASSERT_TRUE(described.contains("warnings")) << described.dump(1);
  EXPECT_NE(described["warnings"].dump().find("containerDefinitions[1].privileged: the container "
                                              "runs privileged"),
            std::string::npos)
      << described["warnings"];
}

TEST_F(AgentIsolation, DisableNetworkingLeavesOnlyLoopbackUpEvenInHostMode) {
  const std::string script =
      "echo \"ifaces:$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | tr '\\n' ' ')\"; "
      "echo \"lo-flags: $(cat /sys/class/net/lo/flags)\"; echo \"netns: $(readlink "
      "/proc/self/ns/net)\"";
  json off = shell_container("off", script);
  off["disableNetworking"] = true;
  off["essential"] = false;
  json host = shell_container("host", script);
  host["dependsOn"] = json::array({{{"containerName", "off"}, {"condition", "SUCCESS"}}});
  const std::string id =
      agent().run_task(task_definition("isolation-nonet", json::array({off, host})));
  const json t = agent().wait_status(id, "STOPPED", 60s);
  EXPECT_EQ(container(t, "host")["exitCode"], 0) << t.dump(1);
  auto log_of = [&](const std::string& name) {
    return agent().request("GET", "/v1/tasks/" + id + "/containers/" + name + "/logs").body;
  };
  const std::string o = log_of("off");
  const std::string h = log_of("host");
  std::error_code ec;
  const std::string own_netns =
      std::filesystem::read_symlink("/proc/self/ns/net", ec).string();  // the agent's too
  ASSERT_FALSE(own_netns.empty());

  EXPECT_NE(o.find("ifaces:lo \n"), std::string::npos) << o;
  EXPECT_NE(o.find("lo-flags: 0x9"), std::string::npos) << o;  // IFF_UP | IFF_LOOPBACK
  EXPECT_EQ(o.find("netns: " + own_netns), std::string::npos) << o;
  // The control shares the host's namespace (networkMode host).
  EXPECT_NE(h.find("netns: " + own_netns), std::string::npos) << h;
  // The namespace's bind mount went with the container.
  EXPECT_FALSE(std::filesystem::exists(agent().run() / "netns" / (id + "-off"))) << id;
}

TEST_F(AgentIsolation, NoNewPrivilegesIsSetInTheContainerOnlyWhenAsked) {
  json c = shell_container("nnp", "grep NoNewPrivs /proc/self/status");
  c["dockerSecurityOptions"] = json::array({"no-new-privileges"});
  auto [log, t] = run_to_end(task_definition("isolation-nnp", json::array({c})), "nnp");
  EXPECT_EQ(container(t, "nnp")["exitCode"], 0) << t.dump(1);
  EXPECT_NE(log.find("NoNewPrivs:\t1"), std::string::npos) << log;
  // The control: without the option, Docker's default (setuid binaries work).
  json plain = shell_container("plain", "grep NoNewPrivs /proc/self/status");
  auto [plain_log, pt] =
      run_to_end(task_definition("isolation-nnp-off", json::array({plain})), "plain");
  EXPECT_EQ(container(pt, "plain")["exitCode"], 0) << pt.dump(1);
  EXPECT_NE(plain_log.find("NoNewPrivs:\t0"), std::string::npos) << plain_log;
}

TEST_F(AgentIsolation, RefusedSecurityOptionIsAnErrorNotAWarning) {
  json c = shell_container("app", "true");
  c["dockerSecurityOptions"] = json::array({"apparmor:docker-default"});
  const HttpReply reply = agent().request("POST", "/v1/tasks",
                                          task_definition("isolation-aa", json::array({c})).dump());
  EXPECT_GE(reply.status, 400) << reply.body;
  EXPECT_NE(reply.body.find("containerDefinitions[0].dockerSecurityOptions[0]: "
                            "\\\"apparmor:docker-default\\\" is not supported"),
            std::string::npos)
      << reply.body;
}

}  // namespace
}  // namespace skiff::test
