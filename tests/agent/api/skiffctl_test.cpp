// The real skiffctl binary against an API server backed by the fake AgentService.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <atomic>
#include <deque>
#include <fstream>
#include <sstream>
#include <thread>

#include "agent/api/api_server.h"
#include "tests/agent/api/fake_service.h"
#include "tests/agent/api/temp_dir.h"
#include "tests/agent/api/test_client.h"

namespace skiff::agent::test {
namespace {

using nlohmann::json;

struct Result {
  int code = -1;
  std::string out, err;
};

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class SkiffctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake.log_dir = dir.path();
    fake.add_task("t0", "demo");
    options.socket_path = dir.path() / "agent.sock";
    options.follow_poll = std::chrono::milliseconds(20);
    options.status_poll = std::chrono::milliseconds(50);
    server = std::make_unique<ApiServer>(fake, options);
    server->start();
  }

  // Runs skiffctl with `args` (shell words, trusted test input) against our socket.
  Result skiffctl(const std::string& args, bool with_socket = true) {
    std::string cmd = std::string(SKIFFCTL_BIN) + " " +
                      (with_socket ? "--socket " + options.socket_path.native() + " " : "") + args +
                      " >" + (dir.path() / "out").native() + " 2>" + (dir.path() / "err").native() +
                      " </dev/null";
    int status = std::system(cmd.c_str());
    Result r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = slurp(dir.path() / "out");
    r.err = slurp(dir.path() / "err");
    return r;
  }

  void write_file(const std::string& name, const std::string& text) {
    std::ofstream(dir.path() / name) << text;
  }

  TempDir dir;
  FakeService fake;
  ApiServerOptions options;
  std::unique_ptr<ApiServer> server;
};

TEST_F(SkiffctlTest, PsJson) {
  Result r = skiffctl("--json ps");
  ASSERT_EQ(r.code, 0) << r.err;
  json tasks = json::parse(r.out);
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0]["taskId"], "t0");
}

TEST_F(SkiffctlTest, PsTable) {
  Result r = skiffctl("ps");
  ASSERT_EQ(r.code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string header, row;
  std::getline(lines, header);
  std::getline(lines, row);
  EXPECT_EQ(header.substr(0, 4), "TASK");
  for (const char* col : {"FAMILY", "STATUS", "HEALTH", "CONTAINERS", "AGE"}) {
    EXPECT_NE(header.find(col), std::string::npos) << col;
  }
  std::istringstream cells(row);
  std::vector<std::string> v;
  for (std::string c; cells >> c;) v.push_back(c);
  ASSERT_EQ(v.size(), 6u) << row;
  EXPECT_EQ(v[0], "t0");
  EXPECT_EQ(v[1], "demo");
  EXPECT_EQ(v[2], "RUNNING");
  EXPECT_EQ(v[3], "HEALTHY");
  EXPECT_EQ(v[4], "1/1");
}

TEST_F(SkiffctlTest, RunPrintsTheTaskId) {
  write_file("good.json", R"({"family":"web","containerDefinitions":[{"name":"a","image":"x"}]})");
  Result r = skiffctl("run " + (dir.path() / "good.json").native());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "t1\n");
  EXPECT_EQ(fake.last_run_source(), (dir.path() / "good.json").native());
}

TEST_F(SkiffctlTest, RunPrintsTheWarningsOnStderr) {
  write_file(
      "role.json",
      R"({"family":"web","taskRoleArn":"arn:aws:iam::1:role/r","containerDefinitions":[{"name":"a","image":"x"}]})");
  const auto file = (dir.path() / "role.json").native();
  Result r = skiffctl("run " + file);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "t1\n");
  EXPECT_EQ(r.err, "warning: " + file + ": taskRoleArn: the role is not assumed\n");
}

TEST_F(SkiffctlTest, RunWithBadFileNamesFileAndJsonPath) {
  auto file = (dir.path() / "bad.json").native();
  write_file("bad.json", R"({"containerDefinitions":[{"name":"a"}]})");
  Result r = skiffctl("run " + file);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "skiffctl: " + file + ": containerDefinitions[0].image: missing\n");
  write_file("sourced.json", R"({"family":"sourced"})");
  r = skiffctl("run " + (dir.path() / "sourced.json").native());
  EXPECT_EQ(r.err, "skiffctl: " + (dir.path() / "sourced.json").native() + ": family: reserved\n");
  write_file("broken.json", "{ nope");
  r = skiffctl("run " + (dir.path() / "broken.json").native());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("broken.json:1:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(": malformed JSON: "), std::string::npos) << r.err;
  r = skiffctl("run " + (dir.path() / "absent.json").native());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("cannot read " + (dir.path() / "absent.json").native() +
                       ": No such file or directory"),
            std::string::npos)
      << r.err;
}

TEST_F(SkiffctlTest, LogsPrintsLines) {
  write_file("t0-web.log.1", "2026-11-24T22:00:00Z stdout F old line\n");
  write_file("t0-web.log",
             "2026-11-24T22:00:01Z stderr F an error\n2026-11-24T22:00:02Z stdout F new line\n");
  Result r = skiffctl("logs t0 web");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "old line\nan error\nnew line\n");
  EXPECT_EQ(skiffctl("logs --tail 1 t0 web").out, "new line\n");
  EXPECT_EQ(skiffctl("logs --stream stderr t0 web").out, "an error\n");
  r = skiffctl("logs t0 nosuch");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "skiffctl: task t0 has no container nosuch\n");
}

TEST_F(SkiffctlTest, LogsFollowEndsWhenTheTaskHasStopped) {
  write_file("t0-web.log", "2026-11-24T22:00:01Z stdout F last words\n");
  fake.mark_stopped("t0");
  Result r = skiffctl("logs -f t0 web");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "last words\n");
}

TEST_F(SkiffctlTest, LogsFollowPrintsLinesAsTheyComeThenEnds) {
  write_file("t0-web.log", "2026-11-24T22:00:01Z stdout F early\n");
  std::string cmd =
      std::string(SKIFFCTL_BIN) + " --socket " + options.socket_path.native() + " logs -f t0 web";
  FILE* out = ::popen(cmd.c_str(), "r");
  ASSERT_NE(out, nullptr);
  std::atomic<bool> got_first{false};
  std::string all;
  std::thread reader([&] {
    char line[256];
    while (std::fgets(line, sizeof line, out) != nullptr) {
      all += line;
      if (all.find("later\n") != std::string::npos) got_first = true;
    }
  });
  std::ofstream(dir.path() / "t0-web.log", std::ios::app)
      << "2026-11-24T22:00:02Z stdout F later\n";
  // The line must arrive while the task still runs (20 s guard against a hang).
  for (int i = 0; i < 2000 && !got_first; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  bool arrived_while_running = got_first;
  fake.mark_stopped("t0");
  reader.join();
  int status = ::pclose(out);
  EXPECT_TRUE(arrived_while_running);
  EXPECT_EQ(all, "early\nlater\n");
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(SkiffctlTest, UnreachableAgent) {
  Result r = skiffctl("--socket " + (dir.path() / "none.sock").native() + " ps", false);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "skiffctl: cannot reach the agent at " + (dir.path() / "none.sock").native() +
                       ": connect: No such file or directory\n");
}

TEST_F(SkiffctlTest, SocketFromEnvironment) {
  setenv("SKIFF_AGENT_SOCKET", options.socket_path.c_str(), 1);
  Result r = skiffctl("--json ps", false);
  unsetenv("SKIFF_AGENT_SOCKET");
  EXPECT_EQ(r.code, 0) << r.err;
}

TEST_F(SkiffctlTest, InspectStopAndUnknownTask) {
  Result r = skiffctl("inspect t0");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["family"], "demo");
  r = skiffctl("stop --reason 'going away' t0");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "t0\n");
  EXPECT_EQ(fake.last_stop_reason(), "going away");
  r = skiffctl("inspect nope");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "skiffctl: no task nope\n");
}

TEST_F(SkiffctlTest, ExecRunsTheRuntimeWithTheAgentsTarget) {
  // The fake's "runtime" is /bin/echo, so the output is the runtime's command line.
  Result r = skiffctl("exec t0 web ls -la /");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "--root /run/skiff/runtime exec t0-web ls -la /\n");
  r = skiffctl("exec t0 db ls");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "skiffctl: task t0 has no container db\n");
}

TEST_F(SkiffctlTest, ExecGivesOptionsAfterTheContainerToTheCommand) {
  // The runtime is /bin/echo: its output is the runtime's command line. A "--" after the
  // container is skiffctl's and dropped; -h and --help belong to the command.
  for (const char* line : {"exec t0 web -- pg_isready -h db", "exec t0 web pg_isready -h db"}) {
    Result r = skiffctl(line);
    ASSERT_EQ(r.code, 0) << line << ": " << r.err;
    EXPECT_EQ(r.out, "--root /run/skiff/runtime exec t0-web pg_isready -h db\n") << line;
  }
  Result r = skiffctl("exec t0 web -- ls --help -- x");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "--root /run/skiff/runtime exec t0-web ls --help -- x\n");
  r = skiffctl("exec t0 web --help");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "--root /run/skiff/runtime exec t0-web --help\n");
}

TEST_F(SkiffctlTest, ExecWithTtyRelaysThePtyAndTheExitCode) {
  fake.exec_runtime = FAKE_RUNTIME_BIN;
  Result r =
      skiffctl("exec -t t0 web /bin/sh -c 'test -t 0 && test -t 1 && echo on-a-tty; exit 3'");
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.out.find("on-a-tty"), std::string::npos) << r.out;
  // Without -t the process gets no terminal.
  r = skiffctl("exec t0 web /bin/sh -c 'test -t 1 || echo no-tty; exit 4'");
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_EQ(r.out, "no-tty\n");
}

TEST_F(SkiffctlTest, StatsEventsDrain) {
  Result r = skiffctl("stats");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("t0    web        1.50s  1.0 MiB  8.0 MiB  3"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("t0    side       -      2.0 KiB  max      1"), std::string::npos) << r.out;
  r = skiffctl("--json stats t0");
  EXPECT_EQ(json::parse(r.out)["containers"]["web"]["pids"]["current"], 3);

  fake.push_event({{"type", "TaskStateChange"}, {"taskId", "t0"}, {"knownStatus", "RUNNING"}});
  r = skiffctl("events");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "1  TaskStateChange t0 knownStatus=RUNNING\n");
  r = skiffctl("--json events");
  EXPECT_EQ(json::parse(r.out)["seq"], 1);

  r = skiffctl("drain --reason maintenance");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(fake.last_drain_reason(), "maintenance");
}

// Issue 12: 40 `events --follow` clients, or a reconnecting slowloris, took all 32
// connection slots and shut `skiffctl ps` out. Both at once here, and ps, stop and drain
// still get through every time.
TEST_F(SkiffctlTest, PsStopAndDrainGetThroughFortyFollowersAndASlowloris) {
  std::vector<std::unique_ptr<UnixStream>> followers;
  for (int i = 0; i < 40; ++i) {
    followers.push_back(std::make_unique<UnixStream>(connect_unix(options.socket_path)));
    std::string head = raw_exchange(
        *followers.back(), "GET /v1/events?follow=1 HTTP/1.1\r\nHost: x\r\n\r\n", "\r\n\r\n");
    ASSERT_EQ(head.rfind("HTTP/1.1 200", 0), 0U) << "follower " << i << ": " << head;
  }
  std::atomic<bool> done{false};
  std::atomic<int> opened{0};
  std::thread slowloris([&] {
    // Keeps about 200 connections that send half a request header, opening new ones as
    // fast as it can and dropping the oldest.
    std::deque<std::unique_ptr<UnixStream>> held;
    while (!done) {
      try {
        auto s = std::make_unique<UnixStream>(connect_unix(options.socket_path));
        boost::system::error_code ec;
        const std::string part = "GET /v1/tasks HTTP/1.1\r\nHost: x\r\nX-Slow: ";
        s->expires_after(std::chrono::milliseconds(50));
        s->write_some(boost::asio::buffer(part), ec);
        held.push_back(std::move(s));
        ++opened;
      } catch (const std::exception&) {
      }
      if (held.size() > 200) held.pop_front();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  while (opened < 300) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  for (int i = 0; i < 5; ++i) {
    Result r = skiffctl("--json ps");
    EXPECT_EQ(r.code, 0) << "ps " << i << ": " << r.err;
    r = skiffctl("stop --reason flood t0");
    EXPECT_EQ(r.code, 0) << "stop " << i << ": " << r.err;
    r = skiffctl("drain --reason flood");
    EXPECT_EQ(r.code, 0) << "drain " << i << ": " << r.err;
  }
  done = true;
  slowloris.join();
  EXPECT_EQ(fake.last_drain_reason(), "flood");
}

}  // namespace
}  // namespace skiff::agent::test
