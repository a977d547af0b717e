// cp-load: N simulated agents over WSS against one skiff-controlplane process.
//
// For each N it reports the control plane's RSS and CPU while holding the agents, and the
// dispatch latency from RunTask (HTTP request sent) to the Payload arriving at the agent.
// Figures go to stdout as a Markdown table (bench/results/controlplane.md). Not a test.
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "protocol/tls/https_client.h"
#include "tests/support/simagent/sim_agent.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Proc {
  pid_t pid = -1;
};

long rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(in)), {});
  auto close = s.rfind(')');
  std::istringstream rest(s.substr(close + 2));
  std::string field;
  unsigned long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoul(field);
    if (i == 15) stime = std::stoul(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

void raise_fd_limit() {
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto idx = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(idx, v.size() - 1)];
}

struct Result {
  int n = 0;
  int connected = 0;
  double connect_s = 0;
  long rss_idle_kib = 0;
  double cpu_idle_pct = 0;
  double p50_ms = 0, p99_ms = 0;
  int samples = 0;
};

Result run_one(const std::string& bin, int n, int tasks, double idle_s, double heartbeat_s) {
  Result r;
  r.n = n;
  char tmpl[] = "/tmp/skiff-cp-bench-XXXXXX";
  fs::path dir = mkdtemp(tmpl);
  Proc cp;
  cp.pid = fork();
  if (cp.pid == 0) {
    int fd = ::open((dir / "cp.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    const auto hb = fmt::format("{}", heartbeat_s);
    execl(bin.c_str(), bin.c_str(), "--data-dir", (dir / "data").c_str(), "--listen", "127.0.0.1:0",
          "--heartbeat-interval", hb.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  while (!fs::exists(dir / "data" / "port"))
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::uint16_t port = 0;
  std::string token;
  std::ifstream(dir / "data" / "port") >> port;
  std::ifstream(dir / "data" / "admin.token") >> token;
  const auto ca = (dir / "data" / "certs" / "ca.pem").string();
  skiff::tls::HttpsClient admin("127.0.0.1", port, ca, token);
  admin.call("POST", "/v1/clusters", {{"name", "bench"}});
  admin.call("POST", "/v1/taskdefs",
             {{"family", "tiny"},
              {"containerDefinitions",
               {{{"name", "app"}, {"image", "demo"}, {"cpu", 1}, {"memory", 1}}}}});
  auto act = admin.call("POST", "/v1/clusters/bench/activations", {{"registrationLimit", n}});

  boost::asio::io_context ioc;
  auto work = boost::asio::make_work_guard(ioc);
  boost::asio::ssl::context tls(boost::asio::ssl::context::tls_client);
  tls.load_verify_file(ca);
  std::mutex mu;
  std::map<std::string, Clock::time_point> arrived;
  std::vector<std::unique_ptr<skiff::sim::SimAgent>> agents;
  std::thread io([&] { ioc.run(); });

  const auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    auto reg = skiff::sim::register_agent("127.0.0.1", port, ca, act["activationId"],
                                          act["activationCode"], fmt::format("sim-{}", i), "amd64",
                                          4096, 4096);
    skiff::sim::SimAgentConfig cfg;
    cfg.port = port;
    cfg.instanceId = reg.instanceId;
    cfg.token = reg.token;
    cfg.keepRawFrames = false;
    cfg.defaultMode = skiff::sim::Mode::kRun;
    cfg.onTask = [&](const skiff::protocol::TaskSpec& spec) {
      const auto now = Clock::now();
      std::lock_guard lock(mu);
      arrived.emplace(spec.taskId, now);
    };
    agents.push_back(std::make_unique<skiff::sim::SimAgent>(ioc, tls, cfg));
    agents.back()->start();
  }
  // All connected?
  const auto deadline = Clock::now() + std::chrono::seconds(120);
  while (Clock::now() < deadline) {
    auto c = admin.call("GET", "/v1/clusters/bench");
    r.connected = c["connectedInstances"].get<int>();
    if (r.connected >= n) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  r.connect_s = std::chrono::duration<double>(Clock::now() - t0).count();

  // Idle: heartbeats only.
  const double cpu0 = cpu_seconds(cp.pid);
  std::this_thread::sleep_for(std::chrono::duration<double>(idle_s));
  r.cpu_idle_pct = 100.0 * (cpu_seconds(cp.pid) - cpu0) / idle_s;
  r.rss_idle_kib = rss_kib(cp.pid);

  // Dispatch latency: one RunTask at a time.
  std::vector<double> lat;
  for (int i = 0; i < tasks; ++i) {
    const auto sent = Clock::now();
    auto res = admin.call("POST", "/v1/clusters/bench/tasks", {{"taskDefinition", "tiny"}});
    if (res["tasks"].empty()) continue;
    const auto id = res["tasks"][0]["id"].get<std::string>();
    const auto until = Clock::now() + std::chrono::seconds(10);
    while (Clock::now() < until) {
      {
        std::lock_guard lock(mu);
        if (auto it = arrived.find(id); it != arrived.end()) {
          lat.push_back(std::chrono::duration<double, std::milli>(it->second - sent).count());
          break;
        }
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }
  r.samples = static_cast<int>(lat.size());
  r.p50_ms = percentile(lat, 0.5);
  r.p99_ms = percentile(lat, 0.99);
  r.rss_idle_kib = std::max(r.rss_idle_kib, rss_kib(cp.pid));

  for (auto& a : agents) a->stop();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  agents.clear();
  work.reset();
  ioc.stop();
  io.join();
  ::kill(cp.pid, SIGTERM);
  waitpid(cp.pid, nullptr, 0);
  std::error_code ec;
  fs::remove_all(dir, ec);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cp-load: N simulated agents against skiff-controlplane"};
  std::string bin;
  std::vector<int> ns = {1000, 5000, 10000};
  int tasks = 200;
  double idle = 10, heartbeat = 10;
  app.add_option("--controlplane", bin, "path to skiff-controlplane")->required();
  app.add_option("--agents", ns, "agent counts")->capture_default_str();
  app.add_option("--tasks", tasks, "RunTask calls per N for the latency figures")
      ->capture_default_str();
  app.add_option("--idle", idle, "seconds to measure idle CPU")->capture_default_str();
  app.add_option("--heartbeat-interval", heartbeat, "control plane heartbeat (s)")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  raise_fd_limit();
  signal(SIGPIPE, SIG_IGN);
  std::cout << "| agents | connected | connect all (s) | CP RSS (MiB) | CP CPU idle (%) | "
               "dispatch p50 (ms) | dispatch p99 (ms) | samples |\n"
               "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n";
  for (int n : ns) {
    auto r = run_one(bin, n, tasks, idle, heartbeat);
    std::cout << fmt::format("| {} | {} | {:.1f} | {:.1f} | {:.1f} | {:.2f} | {:.2f} | {} |\n", r.n,
                             r.connected, r.connect_s, static_cast<double>(r.rss_idle_kib) / 1024.0,
                             r.cpu_idle_pct, r.p50_ms, r.p99_ms, r.samples)
              << std::flush;
  }
  return 0;
}
