#include "tests/controlplane/cp_fixture.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

namespace skiff::test {

namespace fs = std::filesystem;

ControlPlane::ControlPlane(std::vector<std::string> extra_args, std::string host)
    : extra_(std::move(extra_args)), host_(std::move(host)) {
  char tmpl[] = "/tmp/skiff-cp-test-XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
}

ControlPlane::~ControlPlane() {
  stop();
  std::error_code ec;
  if (!::testing::Test::HasFailure()) fs::remove_all(dir_, ec);
}

void ControlPlane::start(std::uint16_t port) {
  std::error_code ec;
  fs::remove(dir_ / "port", ec);
  const auto log = (dir_ / "controlplane.log").string();
  std::vector<std::string> args = {SKIFF_CONTROLPLANE_BIN,
                                   "--data-dir",
                                   (dir_ / "data").string(),
                                   "--listen",
                                   host_ + ":" + std::to_string(port),
                                   "--heartbeat-interval",
                                   "0.5"};
  if (host_ != "127.0.0.1") args.insert(args.end(), {"--san", host_});
  args.insert(args.end(), extra_.begin(), extra_.end());
  pid_ = fork();
  if (pid_ == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  const auto port_file = dir_ / "data" / "port";
  fs::remove(port_file, ec);
  ASSERT_TRUE(
      eventually([&] { return fs::exists(port_file) || !alive(); }, std::chrono::seconds(30)))
      << this->log();
  ASSERT_TRUE(alive()) << this->log();
  port_ = 0;
  ASSERT_TRUE(eventually([&] {
    std::ifstream(port_file) >> port_;
    return port_ != 0;
  }));
  std::ifstream(dir_ / "data" / "admin.token") >> admin_token_;
  ASSERT_TRUE(eventually([&] {
    try {
      return admin().request("GET", "/v1/health").status == 200;
    } catch (const std::exception&) {
      return false;
    }
  })) << this->log();
}

bool ControlPlane::alive() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

void ControlPlane::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void ControlPlane::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 100; ++i) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    usleep(50 * 1000);
  }
  ::kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

tls::HttpsClient ControlPlane::admin() const {
  return tls::HttpsClient(host_, port_, ca(), admin_token_);
}

std::string ControlPlane::log() const {
  std::ifstream in(dir_ / "controlplane.log");
  std::stringstream ss;
  ss << in.rdbuf();
  auto s = ss.str();
  return s.size() > 8000 ? s.substr(s.size() - 8000) : s;
}

AgentPool::AgentPool(const ControlPlane& cp)
    : cp_(cp),
      work_(boost::asio::make_work_guard(ioc_)),
      tls_(boost::asio::ssl::context::tls_client) {
  tls_.load_verify_file(cp.ca());
  thread_ = std::thread([this] { ioc_.run(); });
}

AgentPool::~AgentPool() {
  for (auto& a : agents_) a->stop();
  agents_.clear();
  work_.reset();
  // Let the closes go out, then end.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ioc_.stop();
  thread_.join();
}

std::shared_ptr<sim::SimAgent> AgentPool::add(const std::string& cluster,
                                              const std::string& hostname, const std::string& arch,
                                              sim::Mode mode, std::uint64_t cpu,
                                              std::uint64_t memory_mib) {
  auto act = cp_.admin().call("POST", "/v1/clusters/" + cluster + "/activations",
                              {{"registrationLimit", 1}});
  auto reg = sim::register_agent(cp_.host(), cp_.port(), cp_.ca(), act["activationId"],
                                 act["activationCode"], hostname, arch, cpu, memory_mib);
  return connect(reg.instanceId, reg.token, mode);
}

std::shared_ptr<sim::SimAgent> AgentPool::connect(const std::string& instance_id,
                                                  const std::string& token, sim::Mode mode) {
  sim::SimAgentConfig cfg;
  cfg.host = cp_.host();
  cfg.port = cp_.port();
  cfg.instanceId = instance_id;
  cfg.token = token;
  cfg.defaultMode = mode;
  auto agent = std::make_shared<sim::SimAgent>(ioc_, tls_, cfg);
  agent->start();
  agents_.push_back(agent);
  return agent;
}

bool eventually(const std::function<bool()>& fn, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (fn()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return fn();
}

nlohmann::json simple_taskdef(const std::string& family, const std::string& image, int host_port,
                              bool health_check) {
  nlohmann::json c = {
      {"name", "app"}, {"image", image}, {"essential", true}, {"cpu", 256}, {"memory", 256}};
  // Host networking (the agent's only mode) needs hostPort == containerPort.
  if (host_port) c["portMappings"] = {{{"containerPort", host_port}, {"hostPort", host_port}}};
  if (health_check) {
    c["healthCheck"] = {{"command", {"CMD-SHELL", "true"}}, {"interval", 5}, {"retries", 3}};
  }
  return {{"family", family}, {"networkMode", "host"}, {"containerDefinitions", {c}}};
}

std::vector<std::pair<std::int64_t, int>> healthy_timeline(const nlohmann::json& tasks,
                                                           std::int64_t from_ms) {
  struct Ev {
    std::int64_t at;
    std::string id;
    bool healthy;
  };
  std::vector<Ev> evs;
  for (const auto& t : tasks) {
    for (const auto& tr : t["transitions"]) {
      evs.push_back({tr["atMs"].get<std::int64_t>(), t["id"].get<std::string>(),
                     tr["lastStatus"] == "RUNNING" && tr["healthStatus"] == "HEALTHY"});
    }
  }
  std::stable_sort(evs.begin(), evs.end(), [](const Ev& a, const Ev& b) { return a.at < b.at; });
  std::map<std::string, bool> state;
  std::vector<std::pair<std::int64_t, int>> out;
  for (std::size_t i = 0; i < evs.size(); ++i) {
    state[evs[i].id] = evs[i].healthy;
    if (i + 1 < evs.size() && evs[i + 1].at == evs[i].at) continue;  // same millisecond
    if (evs[i].at < from_ms) continue;
    int n = 0;
    for (const auto& [id, h] : state) n += h ? 1 : 0;
    out.emplace_back(evs[i].at, n);
  }
  return out;
}

}  // namespace skiff::test
