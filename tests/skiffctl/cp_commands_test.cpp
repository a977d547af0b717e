// `skiffctl cp ...` through the real binary against a real skiff-controlplane process over
// real TLS, with simulated agents (tests/controlplane/cp_fixture.h) so tasks get RUNNING;
// plus the pieces of skiffctl_cp that need no process (endpoint parsing, transition log).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "skiffctl/cp_client.h"
#include "skiffctl/cp_watch.h"
#include "tests/controlplane/cp_fixture.h"

extern char** environ;

namespace skiff::test {
namespace {

using nlohmann::json;
using Env = std::map<std::string, std::string>;

struct Output {
  int code = -1;
  std::string out, err;
};

// Runs argv with the SKIFF_* variables of this process removed and `env` added; stdin is
// /dev/null; killed after `timeout`.
Output run(const std::vector<std::string>& argv, const Env& env,
           std::chrono::seconds timeout = std::chrono::seconds(45)) {
  std::vector<std::string> envs;
  for (char** e = environ; *e; ++e) {
    if (std::string_view(*e).rfind("SKIFF_", 0) != 0) envs.emplace_back(*e);
  }
  for (const auto& [k, v] : env) envs.push_back(k + "=" + v);
  // Built before fork: the child of a threaded process may only call async-signal-safe code.
  std::vector<char*> cargv, cenv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  for (const auto& e : envs) cenv.push_back(const_cast<char*>(e.c_str()));
  cenv.push_back(nullptr);
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  const pid_t pid = fork();
  if (pid == 0) {
    int devnull = ::open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    execve(cargv[0], cargv.data(), cenv.data());
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  Output r;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  int open_fds = 2;
  bool timed_out = false;
  while (open_fds > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    if (poll(fds, 2, static_cast<int>(left.count())) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      const ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      } else {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  if (timed_out) kill(pid, SIGKILL);
  for (auto& f : fds) {
    if (f.fd >= 0) close(f.fd);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (timed_out) r.err += "[test: killed after timeout]";
  return r;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::size_t count_lines_with(const std::string& text, const std::vector<std::string>& parts) {
  std::istringstream in(text);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) {
    bool all = true;
    for (const auto& p : parts) all = all && has(line, p);
    n += all ? 1 : 0;
  }
  return n;
}

// "name  value" lines of print_fields() as a map.
std::map<std::string, std::string> fields_of(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  for (std::string k, v; in >> k >> v;) out[k] = v;
  return out;
}

class SkiffctlCp : public ::testing::Test {
 protected:
  void SetUp() override {
    cp = std::make_unique<ControlPlane>();
    ASSERT_NO_FATAL_FAILURE(cp->start());
  }
  void TearDown() override {
    // The simulated agents post to the pool's io_context when they go: before the pool.
    sims.clear();
    pool.reset();
    if (HasFailure()) std::cerr << cp->log();
  }

  std::string endpoint() const { return "https://127.0.0.1:" + std::to_string(cp->port()); }
  std::string token_file() const { return (cp->dir() / "data" / "admin.token").string(); }

  // skiffctl with exactly these arguments (plus `env`).
  Output raw(const std::vector<std::string>& args, const Env& env = {},
             std::chrono::seconds timeout = std::chrono::seconds(45)) {
    std::vector<std::string> argv{SKIFFCTL_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, env, timeout);
  }
  // skiffctl --endpoint E --ca CA --admin-token-file F cp ARGS...
  Output ctl(const std::vector<std::string>& args) {
    std::vector<std::string> full{"--endpoint",         endpoint(),   "--ca", cp->ca(),
                                  "--admin-token-file", token_file(), "cp"};
    full.insert(full.end(), args.begin(), args.end());
    return raw(full);
  }
  json ctl_json(std::vector<std::string> args) {
    args.emplace_back("--json");
    Output r = ctl(args);
    EXPECT_EQ(r.code, 0) << r.err;
    json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out;
    return j;
  }
  std::string write(const std::string& name, const std::string& content) {
    const auto path = (cp->dir() / name).string();
    std::ofstream(path) << content;
    return path;
  }
  void agents(int n, sim::Mode mode = sim::Mode::kRun) {
    if (!pool) pool = std::make_unique<AgentPool>(*cp);
    for (int i = 0; i < n; ++i) {
      sims.push_back(pool->add("edge", "h" + std::to_string(i), "amd64", mode));
      ASSERT_TRUE(sims.back()->wait_for([](const sim::SimSnapshot& s) { return s.connected; }));
    }
  }

  std::unique_ptr<ControlPlane> cp;
  std::unique_ptr<AgentPool> pool;
  std::vector<std::shared_ptr<sim::SimAgent>> sims;
};

TEST_F(SkiffctlCp, ClustersActivationsInstancesTaskDefinitionsAndTasks) {
  Output r = ctl({"cluster", "create", "edge"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "edge\n");
  r = ctl({"cluster", "create", "edge"});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(has(r.err, "HTTP 409 conflict: cluster 'edge' exists")) << r.err;
  r = ctl({"cluster", "ls"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(count_lines_with(r.out, {"NAME", "INSTANCES"}), 1U) << r.out;
  EXPECT_EQ(count_lines_with(r.out, {"edge"}), 1U) << r.out;
  EXPECT_EQ(ctl_json({"cluster", "ls"})["clusters"][0]["name"], "edge");
  // An empty cluster can go.
  ASSERT_EQ(ctl({"cluster", "create", "scratch"}).code, 0);
  r = ctl({"cluster", "rm", "scratch"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(ctl_json({"cluster", "ls"})["clusters"].size(), 1U);

  // An activation, printed for humans; an agent registers with it.
  r = ctl({"activation", "create", "--cluster", "edge", "--limit", "2", "--expires", "600",
           "--description", "lab"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto act = fields_of(r.out);
  ASSERT_EQ(act["activationId"].rfind("a-", 0), 0U) << r.out;
  ASSERT_EQ(act["activationCode"].size(), 64U) << r.out;
  EXPECT_TRUE(has(r.err, "shown") || has(r.err, "only its hash")) << r.err;
  json acts = ctl_json({"activation", "ls", "--cluster", "edge"})["activations"];
  ASSERT_EQ(acts.size(), 1U);
  EXPECT_EQ(acts[0]["registrationLimit"], 2);
  EXPECT_EQ(acts[0]["description"], "lab");
  EXPECT_FALSE(acts[0].contains("activationCode"));
  auto reg = sim::register_agent("127.0.0.1", cp->port(), cp->ca(), act["activationId"],
                                 act["activationCode"], "pi-1", "arm64");
  pool = std::make_unique<AgentPool>(*cp);
  auto agent = pool->connect(reg.instanceId, reg.token);
  ASSERT_TRUE(agent->wait_for([](const sim::SimSnapshot& s) { return s.connected; }));

  ASSERT_TRUE(eventually([&] {
    return ctl_json({"instance", "ls", "--cluster", "edge"})["instances"][0]["connected"] == true;
  }));
  r = ctl({"instance", "ls", "--cluster", "edge"});
  EXPECT_EQ(count_lines_with(r.out, {reg.instanceId, "pi-1", "arm64", "ACTIVE", "yes"}), 1U)
      << r.out;
  json inst = ctl_json({"instance", "inspect", reg.instanceId});
  EXPECT_EQ(inst["hostname"], "pi-1");
  EXPECT_FALSE(inst.contains("tokenHash"));

  // Task definitions from a file.
  r = ctl({"taskdef", "register", write("web.json", simple_taskdef("web", "demo:1").dump())});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "web:1\n");
  r = ctl({"taskdef", "ls"});
  EXPECT_EQ(count_lines_with(r.out, {"web", "1"}), 1U) << r.out;
  json td = ctl_json({"taskdef", "inspect", "web"});
  EXPECT_EQ(td["family"], "web");
  EXPECT_EQ(td["revision"], 1);
  EXPECT_EQ(td["definition"]["containerDefinitions"][0]["image"], "demo:1");

  // Tasks: placed with a constraint and strategy; one that cannot be placed is an error.
  json started = ctl_json({"task", "run", "--cluster", "edge", "web:1", "--count", "2",
                           "--constraint", "attribute:arch == arm64", "--strategy", "binpack"});
  ASSERT_EQ(started["tasks"].size(), 2U) << started.dump();
  const std::string id = started["tasks"][0]["id"];
  const std::string other = started["tasks"][1]["id"];
  r = ctl({"task", "run", "--cluster", "edge", "web", "--constraint", "attribute:arch == amd64"});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(has(r.err, "placed 0 of 1 tasks")) << r.err;
  r = ctl({"task", "run", "--cluster", "edge", "web", "--strategy", "random"});
  EXPECT_NE(r.code, 0);
  ASSERT_TRUE(eventually([&] {
    const json tasks = ctl_json({"task", "ls", "--cluster", "edge"})["tasks"];
    int running = 0;
    for (const auto& x : tasks) running += x["lastStatus"] == "RUNNING" ? 1 : 0;
    return running == 2;
  }));
  r = ctl({"task", "ls", "--cluster", "edge"});
  EXPECT_EQ(count_lines_with(r.out, {id, "web:1", reg.instanceId, "RUNNING", "HEALTHY"}), 1U)
      << r.out;

  r = ctl({"task", "stop", id, "--reason", "done with it"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(has(r.out, id)) << r.out;
  ASSERT_TRUE(eventually([&] {
    return ctl_json({"task", "inspect", id})["lastStatus"] == "STOPPED";
  }));
  // inspect: every transition with its time.
  r = ctl({"task", "inspect", id});
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string t = R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)";
  for (const std::string& step :
       {"PROVISIONING +UNKNOWN +placed on " + reg.instanceId, std::string("RUNNING +HEALTHY"),
        std::string("STOPPING +HEALTHY +done with it"), std::string("STOPPED +HEALTHY")}) {
    EXPECT_TRUE(std::regex_search(r.out, std::regex(t + " +" + step))) << step << "\n" << r.out;
  }
  EXPECT_TRUE(std::regex_search(r.out, std::regex("STOPPED REASON +done with it"))) << r.out;

  // Instance drain and revoke; the cluster cannot go while it has a task.
  r = ctl({"instance", "drain", reg.instanceId});
  EXPECT_EQ(r.out, reg.instanceId + " DRAINING\n") << r.err;
  r = ctl({"instance", "revoke", reg.instanceId});
  EXPECT_EQ(r.out, reg.instanceId + " REVOKED\n") << r.err;
  r = ctl({"cluster", "rm", "edge"});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(has(r.err, "409") && has(r.err, "still has task " + other)) << r.err;

  r = ctl({"taskdef", "rm", "web:1"});
  EXPECT_EQ(r.out, "web:1 INACTIVE\n") << r.err;
  r = ctl({"taskdef", "rm", "web"});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(has(r.err, "expected FAMILY:REVISION")) << r.err;
}

TEST_F(SkiffctlCp, BadInputNamesTheFieldAndExitsOne) {
  const auto bad = write("bad.json", R"({"family": "web"})");
  Output r = ctl({"taskdef", "register", bad});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(has(r.err, bad + ": HTTP 400 bad_request: taskDefinition: containerDefinitions"))
      << r.err;
  // --json: the control plane's answer on stdout, for scripts.
  r = ctl({"taskdef", "register", bad, "--json"});
  EXPECT_EQ(r.code, 1);
  json j = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["error"], "bad_request");
  EXPECT_TRUE(has(j.value("message", ""), "containerDefinitions")) << j.dump();

  r = ctl({"taskdef", "register", write("nojson.json", "{family")});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(has(r.err, "nojson.json:1:4: malformed JSON")) << r.err;
  r = ctl({"taskdef", "register", "/nonexistent/web.json"});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(has(r.err, "/nonexistent/web.json")) << r.err;

  r = ctl({"task", "inspect", "t-0000"});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(has(r.err, "HTTP 404 not_found: task 't-0000' not found")) << r.err;
  r = ctl({"activation", "create", "--cluster", "nowhere"});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(has(r.err, "cluster 'nowhere' not found")) << r.err;
  ASSERT_EQ(ctl({"cluster", "create", "edge"}).code, 0);
  ASSERT_EQ(
      ctl({"taskdef", "register", write("web.json", simple_taskdef("web", "d:1").dump())}).code, 0);
  r = ctl({"service", "create", "--cluster", "edge", "web", "web:1", "--count", "1",
           "--max-percent", "50"});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(
      has(r.err, "HTTP 400 bad_request: deploymentConfiguration.maximumPercent: at least 100"))
      << r.err;
  r = ctl({"service", "update", "--cluster", "edge", "web"});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(has(r.err, "nothing to change")) << r.err;
}

TEST_F(SkiffctlCp, RollingUpdateWaitShowsEveryTransitionOnce) {
  ASSERT_EQ(ctl({"cluster", "create", "edge"}).code, 0);
  ASSERT_NO_FATAL_FAILURE(agents(2));
  ASSERT_EQ(
      ctl({"taskdef", "register", write("v1.json", simple_taskdef("web", "demo:1").dump())}).out,
      "web:1\n");
  ASSERT_EQ(
      ctl({"taskdef", "register", write("v2.json", simple_taskdef("web", "demo:2").dump())}).out,
      "web:2\n");

  Output r = ctl({"service", "create", "--cluster", "edge", "web", "web:1", "--count", "2",
                  "--min-healthy", "50", "--max-percent", "200", "--deregistration-delay", "1",
                  "--circuit-breaker"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("^web  d-[0-9a-f]+  web:1  "))) << r.out;
  r = ctl({"service", "wait", "--cluster", "edge", "web", "--timeout", "30"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(count_lines_with(r.out, {"web:1", "RUNNING", "HEALTHY"}), 2U) << r.out;
  EXPECT_TRUE(has(r.out, "COMPLETED")) << r.out;

  r = ctl({"service", "update", "--cluster", "edge", "web", "--taskdef", "web:2"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "web:2  IN_PROGRESS")) << r.out;
  r = ctl({"service", "wait", "--cluster", "edge", "web", "--timeout", "30"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  // The old tasks leave (DEACTIVATING for the deregistration delay, then STOPPING and
  // STOPPED); the new ones arrive; each transition once, in time order.
  EXPECT_EQ(count_lines_with(r.out, {"web:1", "DEACTIVATING"}), 2U) << r.out;
  EXPECT_EQ(count_lines_with(r.out, {"web:1", "STOPPED"}), 2U) << r.out;
  EXPECT_EQ(count_lines_with(r.out, {"web:2", "PROVISIONING"}), 2U) << r.out;
  EXPECT_EQ(count_lines_with(r.out, {"web:2", "RUNNING", "HEALTHY"}), 2U) << r.out;
  EXPECT_EQ(count_lines_with(r.out, {"web:1", "RUNNING"}), 0U) << "before the deployment\n"
                                                               << r.out;
  EXPECT_EQ(count_lines_with(r.out, {"COMPLETED: 2 healthy of 2 desired"}), 1U) << r.out;
  std::istringstream lines(r.out);
  std::string prev;
  std::set<std::string> seen;
  const std::regex row(R"(^(\d\d:\d\d:\d\d\.\d{3})  t-[0-9a-f]+ .*)");
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (!std::regex_match(line, m, row)) continue;
    EXPECT_TRUE(seen.insert(line).second) << "printed twice: " << line;
    if (prev.rfind("23:59", 0) != 0) {  // the clock time wraps at midnight
      EXPECT_LE(prev, m[1].str()) << line;
    }
    prev = m[1].str();
  }
  EXPECT_GE(seen.size(), 10U) << r.out;

  json s = ctl_json({"service", "inspect", "--cluster", "edge", "web"});
  EXPECT_EQ(s["taskDefinition"], "web:2");
  ASSERT_EQ(s["deployments"].size(), 1U);
  EXPECT_EQ(s["deployments"][0]["rolloutState"], "COMPLETED");
  r = ctl({"service", "inspect", "--cluster", "edge", "web"});
  EXPECT_EQ(count_lines_with(r.out, {"PRIMARY", "web:2", "COMPLETED"}), 1U) << r.out;
  EXPECT_TRUE(has(r.out, "circuit breaker on")) << r.out;
  r = ctl({"service", "ls", "--cluster", "edge"});
  EXPECT_EQ(count_lines_with(r.out, {"web", "ACTIVE", "web:2", "COMPLETED"}), 1U) << r.out;
  r = ctl({"task", "ls", "--cluster", "edge", "--service", "web"});
  EXPECT_EQ(count_lines_with(r.out, {"web:1", "STOPPED"}), 2U) << r.out;

  // --json: one object per line, the verdict last.
  r = ctl({"service", "wait", "--cluster", "edge", "web", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::istringstream jl(r.out);
  json last;
  std::size_t transitions = 0;
  for (std::string line; std::getline(jl, line);) {
    last = json::parse(line, nullptr, false);
    ASSERT_FALSE(last.is_discarded()) << line;
    transitions += last.contains("taskId") ? 1 : 0;
  }
  EXPECT_EQ(transitions, seen.size());
  EXPECT_EQ(last["rolloutState"], "COMPLETED");

  // Scale in and remove.
  ASSERT_EQ(ctl({"service", "update", "--cluster", "edge", "web", "--count", "1"}).code, 0);
  ASSERT_TRUE(eventually([&] {
    return ctl_json({"service", "inspect", "--cluster", "edge",
                     "web"})["deployments"][0]["healthyCount"] == 1;
  }));
  r = ctl({"service", "rm", "--cluster", "edge", "web"});
  EXPECT_EQ(r.out, "web DRAINING\n") << r.err;
  ASSERT_TRUE(eventually([&] {
    return ctl({"service", "inspect", "--cluster", "edge", "web"}).code == 1;
  }));
}

TEST_F(SkiffctlCp, WaitExitsOneWhenTheCircuitBreakerTrips) {
  ASSERT_EQ(ctl({"cluster", "create", "edge"}).code, 0);
  ASSERT_NO_FATAL_FAILURE(agents(1));
  sims[0]->set_mode("web:2", sim::Mode::kFail);
  ctl({"taskdef", "register", write("v1.json", simple_taskdef("web", "demo:1").dump())});
  ctl({"taskdef", "register", write("v2.json", simple_taskdef("web", "demo:2").dump())});
  Output r = ctl({"service", "create", "--cluster", "edge", "web", "web:1", "--count", "1",
                  "--deregistration-delay", "0", "--circuit-breaker=rollback"});
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(ctl({"service", "wait", "--cluster", "edge", "web"}).code, 0);
  r = ctl({"service", "update", "--cluster", "edge", "web", "--taskdef", "web:2"});
  ASSERT_EQ(r.code, 0) << r.err;
  // `update` names the deployment it made; `wait --deployment` follows exactly that one.
  std::smatch made;
  ASSERT_TRUE(std::regex_search(r.out, made, std::regex(R"(d-[0-9a-f]+)"))) << r.out;
  const std::string update_id = made.str();
  r = ctl({"service", "wait", "--cluster", "edge", "web", "--timeout", "30"});
  EXPECT_EQ(r.code, 1) << r.out;
  const Output named = ctl({"service", "wait", "--cluster", "edge", "web", "--deployment",
                            update_id, "--timeout", "30"});
  EXPECT_EQ(named.code, 1) << named.out;
  EXPECT_TRUE(has(named.err, "deployment " + update_id + " (web:2) FAILED")) << named.err;
  const Output unknown = ctl(
      {"service", "wait", "--cluster", "edge", "web", "--deployment", "d-0000", "--timeout", "5"});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_TRUE(has(unknown.err, "service 'web' has no deployment d-0000")) << unknown.err;
  EXPECT_TRUE(std::regex_search(r.err, std::regex(R"(deployment d-[0-9a-f]+ \(web:2\) FAILED)")))
      << r.err;
  EXPECT_TRUE(has(r.err, "rollback")) << r.err;
  EXPECT_GE(count_lines_with(r.out, {"web:2", "STOPPED"}), 3U) << r.out;
  EXPECT_TRUE(
      has(ctl({"service", "inspect", "--cluster", "edge", "web"}).out, "circuit breaker rollback"));
}

// The breaker can fail the update and finish the rollback before `wait` starts (CI saw
// it under ASan): wait must still report the update the user made, not the rollback.
TEST_F(SkiffctlCp, WaitStartedAfterTheRollbackStillReportsTheFailedUpdate) {
  ASSERT_EQ(ctl({"cluster", "create", "edge"}).code, 0);
  ASSERT_NO_FATAL_FAILURE(agents(1));
  sims[0]->set_mode("web:2", sim::Mode::kFail);
  ctl({"taskdef", "register", write("v1.json", simple_taskdef("web", "demo:1").dump())});
  ctl({"taskdef", "register", write("v2.json", simple_taskdef("web", "demo:2").dump())});
  ASSERT_EQ(ctl({"service", "create", "--cluster", "edge", "web", "web:1", "--count", "1",
                 "--deregistration-delay", "0", "--circuit-breaker=rollback"})
                .code,
            0);
  ASSERT_EQ(ctl({"service", "wait", "--cluster", "edge", "web"}).code, 0);
  ASSERT_EQ(ctl({"service", "update", "--cluster", "edge", "web", "--taskdef", "web:2"}).code, 0);
  ASSERT_TRUE(eventually([&] {
    const json d = ctl_json({"service", "inspect", "--cluster", "edge", "web"})["deployments"];
    return d.size() == 1 && d[0]["taskDefinition"] == "web:1" &&
           d[0]["rolloutState"] == "COMPLETED" && d[0]["rollbackOf"]["taskDefinition"] == "web:2";
  }));
  const Output r = ctl({"service", "wait", "--cluster", "edge", "web", "--timeout", "30"});
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_TRUE(std::regex_search(r.err, std::regex(R"(deployment d-[0-9a-f]+ \(web:2\) FAILED)")))
      << r.err;
  EXPECT_GE(count_lines_with(r.out, {"web:2", "STOPPED"}), 3U) << r.out;
}

TEST_F(SkiffctlCp, TokenFromFileOrEnvironmentAndWrongTokenIs401) {
  const std::vector<std::string> ls = {"cp", "cluster", "ls"};
  auto with = [&](std::vector<std::string> pre) {
    pre.insert(pre.end(), ls.begin(), ls.end());
    return pre;
  };
  // Everything from the environment.
  std::ifstream tf(token_file());
  std::string token;
  tf >> token;
  Output r = raw(
      ls,
      {{"SKIFF_ENDPOINT", endpoint()}, {"SKIFF_CA_FILE", cp->ca()}, {"SKIFF_ADMIN_TOKEN", token}});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "NAME")) << r.out;
  r = raw(ls, {{"SKIFF_ENDPOINT", endpoint()},
               {"SKIFF_CA_FILE", cp->ca()},
               {"SKIFF_ADMIN_TOKEN_FILE", token_file()}});
  EXPECT_EQ(r.code, 0) << r.err;

  r = raw(with({"--endpoint", endpoint(), "--ca", cp->ca()}), {{"SKIFF_ADMIN_TOKEN", "wrong"}});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(has(r.err, "HTTP 401") && has(r.err, "admin token")) << r.err;
  r = raw(with({"--endpoint", endpoint(), "--ca", cp->ca(), "--admin-token-file",
                write("wrong.token", "0123\n")}));
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(has(r.err, "HTTP 401") && has(r.err, "SKIFF_ADMIN_TOKEN")) << r.err;
  r = raw(with({"--endpoint", endpoint(), "--ca", cp->ca()}));
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(has(r.err, "no admin token")) << r.err;
  // A secret never goes on the command line.
  r = raw(with({"--endpoint", endpoint(), "--ca", cp->ca(), "--admin-token", token}));
  EXPECT_NE(r.code, 0);
  EXPECT_FALSE(has(r.out, "NAME")) << r.out;
}

TEST_F(SkiffctlCp, WrongCaOrNoListenerNamesTheEndpoint) {
  ControlPlane other;
  ASSERT_NO_FATAL_FAILURE(other.start());
  const std::vector<std::string> tail = {"--admin-token-file", token_file(), "cp", "cluster", "ls"};
  auto args = [&](const std::string& ep, const std::string& ca) {
    std::vector<std::string> a = {"--endpoint", ep, "--ca", ca};
    a.insert(a.end(), tail.begin(), tail.end());
    return a;
  };
  // Another control plane's CA: the pinned CA does not vouch for this server.
  Output r = raw(args(endpoint(), other.ca()));
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(has(r.err, "TLS with " + endpoint() + " failed")) << r.err;
  EXPECT_TRUE(has(r.err, "certificate verify failed")) << r.err;
  EXPECT_TRUE(has(r.err, other.ca())) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;

  const std::string gone = "https://127.0.0.1:" + std::to_string(other.port());
  other.stop();
  r = raw(args(gone, cp->ca()));
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(has(r.err, "cannot reach the control plane at " + gone)) << r.err;

  r = raw(args("http://127.0.0.1:" + std::to_string(cp->port()), cp->ca()));
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(has(r.err, "HTTPS only")) << r.err;
  r = raw(args(endpoint(), "/nonexistent/ca.pem"));
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(has(r.err, "--ca /nonexistent/ca.pem")) << r.err;
  r = raw(tail);
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(has(r.err, "no control plane endpoint")) << r.err;
}

// The pieces that need no process.

TEST(SkiffctlCpUnit, ParseEndpoint) {
  auto ep = ctl::parse_endpoint("https://127.0.0.1:9443/");
  EXPECT_EQ(ep.host, "127.0.0.1");
  EXPECT_EQ(ep.port, 9443);
  EXPECT_EQ(ep.url, "https://127.0.0.1:9443");
  EXPECT_EQ(ctl::parse_endpoint("https://10.0.0.2").port, 8443);
  ep = ctl::parse_endpoint("https://[::1]:8000");
  EXPECT_EQ(ep.host, "::1");
  EXPECT_EQ(ep.url, "https://[::1]:8000");
  for (const char* bad :
       {"", "http://127.0.0.1:1", "127.0.0.1:1", "https://:1", "https://127.0.0.1:0",
        "https://127.0.0.1:99999", "https://1.2.3.4/x", "https://[::1", "https://127.0.0.1:8x"}) {
    EXPECT_THROW(ctl::parse_endpoint(bad), Error) << bad;
  }
  EXPECT_EQ(ctl::parse_endpoint("https://cp.example:8443").host, "cp.example");
  try {
    ctl::parse_endpoint("https://cp.example:0");
    ADD_FAILURE() << "port 0 was accepted";
  } catch (const Error& e) {
    EXPECT_TRUE(has(e.what(), "--endpoint 'https://cp.example:0'")) << e.what();
  }
}

TEST(SkiffctlCpUnit, TransitionLogReturnsEachTransitionOnceInTimeOrder) {
  auto tr = [](const std::string& at, const std::string& status) {
    return json{{"at", at}, {"lastStatus", status}, {"healthStatus", "UNKNOWN"}, {"reason", ""}};
  };
  json tasks = json::array(
      {{{"id", "t-a"},
        {"taskDefinitionArn", "web:1"},
        {"transitions",
         {tr("2026-01-01T00:00:01.000Z", "RUNNING"), tr("2026-01-01T00:00:05.000Z", "STOPPED")}}},
       {{"id", "t-b"},
        {"taskDefinitionArn", "web:2"},
        {"transitions", {tr("2026-01-01T00:00:03.000Z", "PROVISIONING")}}}});
  ctl::TransitionLog log("2026-01-01T00:00:02.000Z");
  auto rows = log.take_new(tasks);
  ASSERT_EQ(rows.size(), 2U);  // t-a's RUNNING is from before the deployment
  EXPECT_EQ(rows[0].taskId, "t-b");
  EXPECT_EQ(rows[0].taskDefinition, "web:2");
  EXPECT_EQ(rows[1].lastStatus, "STOPPED");
  EXPECT_TRUE(log.take_new(tasks).empty());
  tasks[1]["transitions"].push_back(tr("2026-01-01T00:00:06.000Z", "RUNNING"));
  rows = log.take_new(tasks);
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0].taskId, "t-b");
  EXPECT_EQ(rows[0].lastStatus, "RUNNING");
}

}  // namespace
}  // namespace skiff::test
