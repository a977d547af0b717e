#include "agent_harness.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "common/file_io.h"
#include "common/mountinfo.h"
#include "image/service/images.h"

extern char** environ;

namespace skiff::test {
namespace fs = std::filesystem;
namespace http = boost::beast::http;
using namespace std::chrono_literals;

nlohmann::json HttpReply::json() const {
  return nlohmann::json::parse(body);
}

HttpReply http_unix(const fs::path& socket, const std::string& method, const std::string& target,
                    const std::string& body) {
  boost::asio::io_context io;
  boost::asio::local::stream_protocol::socket s(io);
  s.connect(boost::asio::local::stream_protocol::endpoint(socket.string()));
  http::request<http::string_body> req(http::string_to_verb(method), target, 11);
  req.set(http::field::host, "localhost");
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.prepare_payload();
  http::write(s, req);
  boost::beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(s, buf, res);
  return HttpReply{static_cast<int>(res.result_int()), res.body()};
}

CommandResult run_command(const std::string& cmd) {
  CommandResult r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) r.output.append(buf, n);
  int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

namespace {

std::string run_capture(const std::string& cmd) {
  CommandResult r = run_command(cmd);
  if (r.code != 0) ADD_FAILURE() << cmd << " failed (" << r.code << "): " << r.output;
  return r.output;
}

// Unmounts everything beneath `dir` (deepest first), then removes it.
void remove_tree(const fs::path& dir) {
  std::vector<std::string> mounts;
  for (const auto& m : parse_mountinfo_text(read_file("/proc/self/mountinfo"))) {
    if (m.mount_point.starts_with(dir.string() + "/")) mounts.push_back(m.mount_point);
  }
  std::sort(mounts.rbegin(), mounts.rend());
  for (const auto& m : mounts) ::umount2(m.c_str(), MNT_DETACH);
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace

void import_test_image(const fs::path& image_store) {
  static std::once_flag once;
  static fs::path layout;
  std::call_once(once, [] {
    // A layout built beforehand (the VM run builds it on the host, where umoci is fast).
    if (const char* prebuilt = std::getenv("SKIFF_TEST_LAYOUT")) {
      layout = prebuilt;
      return;
    }
    layout = fs::temp_directory_path() / ("skiff-agent-test-layout-" + std::to_string(::getpid()));
    run_capture(std::string(SKIFF_FIXTURES) + "/make-oci-layout.sh " + layout.string() + " " +
                SKIFF_PROBE + " 2>&1");
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(layout, ec);
    });
  });
  image::Images images(image_store);
  auto recorded = images.import(layout);
  ASSERT_FALSE(recorded.empty());
  images.tag(kTestImage, recorded.front().target);
}

Agent::Agent(fs::path root) : root_(std::move(root)) {
  remove_tree(root_);
  fs::create_directories(tasks_dir());
  fs::create_directories(state());
  std::ofstream(root_ / "agent.conf")
      << "# written by the test harness\nSKIFF_CONTAINER_STOP_TIMEOUT=30s\n";
  import_test_image(state() / "images");
}

Agent::~Agent() {
  if (running()) {
    try {
      request("POST", "/v1/drain", R"({"reason":"test teardown"})");
      auto deadline = std::chrono::steady_clock::now() + 60s;
      while (std::chrono::steady_clock::now() < deadline) {
        auto tasks = request("GET", "/v1/tasks").json();
        bool all_stopped = std::all_of(tasks.begin(), tasks.end(),
                                       [](const auto& t) { return t["knownStatus"] == "STOPPED"; });
        if (all_stopped) break;
        std::this_thread::sleep_for(100ms);
      }
    } catch (const std::exception& e) {
      ADD_FAILURE() << "teardown: " << e.what();
    }
    kill(SIGTERM);
  }
  if (::testing::Test::HasFailure()) {
    std::error_code ec;
    auto kept = fs::temp_directory_path() / (root_.filename().string() + ".agent.log");
    fs::copy_file(root_ / "agent.log", kept, fs::copy_options::overwrite_existing, ec);
    std::fprintf(stderr, "agent log kept at %s\n", kept.c_str());
  }
  // Anything a failed test left: remove by our runtime root only.
  for (const auto& id : runtime_containers()) {
    std::string cmd = std::string(SKIFF_RUNTIME) + " --root " + runtime_root().string() +
                      " delete --force " + id + " >/dev/null 2>&1";
    [[maybe_unused]] int rc = std::system(cmd.c_str());
  }
  remove_tree(root_);
}

void Agent::start(const std::vector<std::string>& extra_env) {
  spawn(extra_env);
  ASSERT_GT(pid_, 0);
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    int status;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      FAIL() << "skiff-agent exited during start-up: " << log_text();
    }
    try {
      if (request("GET", "/v1/metadata").status == 200) return;
    } catch (const std::exception&) {
    }
    std::this_thread::sleep_for(20ms);
  }
  FAIL() << "skiff-agent did not answer on " << socket() << ": " << log_text();
}

void Agent::spawn(const std::vector<std::string>& extra_env) {
  std::vector<std::string> args;
  if (!netns_.empty()) {
    // nsenter without --fork execs in place: pid_ is the agent's own pid.
    args = {"/usr/bin/nsenter", "--net=/run/netns/" + netns_, "--"};
  }
  args.insert(args.end(), {SKIFF_AGENT, "--config", (root_ / "agent.conf").string(), "--state-dir",
                           state().string(), "--run-dir", run().string(), "--log-dir",
                           (root_ / "logs").string(), "--tasks-dir", tasks_dir().string(),
                           "--runtime", SKIFF_RUNTIME, "--shim", SKIFF_SHIM, "--skiffctl",
                           SKIFF_SKIFFCTL, "--log-level", "debug"});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  // In the v2 test VM only /ci is delegated to us.
  if (const char* parent = std::getenv("SKIFF_TEST_CGROUP_PARENT")) {
    env_strings.push_back(std::string("SKIFF_CGROUP_ROOT=") + parent);
  }
  env_strings.insert(env_strings.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  ::posix_spawn_file_actions_init(&fa);
  std::string log = (root_ / "agent.log").string();
  ::posix_spawn_file_actions_addopen(&fa, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  ::posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  int rc = ::posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), envp.data());
  ::posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) pid_ = -1;
  ASSERT_EQ(rc, 0) << "posix_spawn " << argv[0];
}

std::optional<int> Agent::wait_exit(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return std::nullopt;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(20ms);
  }
}

void Agent::kill(int sig) {
  if (pid_ <= 0) return;
  ::kill(pid_, sig);
  int status;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

HttpReply Agent::request(const std::string& method, const std::string& target,
                         const std::string& body) const {
  return http_unix(socket(), method, target, body);
}

std::string Agent::run_task(const nlohmann::json& definition) const {
  auto reply = request("POST", "/v1/tasks", definition.dump());
  EXPECT_EQ(reply.status, 201) << reply.body;
  if (reply.status != 201) return "";
  return reply.json().at("taskId").get<std::string>();
}

nlohmann::json Agent::task(const std::string& id) const {
  auto reply = request("GET", "/v1/tasks/" + id);
  EXPECT_EQ(reply.status, 200) << reply.body;
  return reply.json();
}

void Agent::stop_task(const std::string& id, const std::string& reason) const {
  auto reply =
      request("POST", "/v1/tasks/" + id + "/stop", nlohmann::json{{"reason", reason}}.dump());
  EXPECT_LT(reply.status, 300) << reply.body;
}

nlohmann::json Agent::wait_task(const std::string& id,
                                const std::function<bool(const nlohmann::json&)>& pred,
                                std::chrono::seconds timeout, const std::string& what) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  nlohmann::json last;
  while (std::chrono::steady_clock::now() < deadline) {
    last = task(id);
    if (pred(last)) return last;
    std::this_thread::sleep_for(50ms);
  }
  ADD_FAILURE() << "timed out waiting for " << what << "; last view: " << last.dump(1)
                << "\nagent log tail: "
                << log_text().substr(log_text().size() > 4000 ? log_text().size() - 4000 : 0);
  return last;
}

nlohmann::json Agent::wait_status(const std::string& id, const std::string& status,
                                  std::chrono::seconds timeout) const {
  return wait_task(
      id, [&](const nlohmann::json& t) { return t["knownStatus"] == status; }, timeout,
      "task " + status);
}

std::vector<std::string> Agent::runtime_containers() const {
  std::vector<std::string> ids;
  std::error_code ec;
  if (!fs::is_directory(runtime_root(), ec)) return ids;
  for (const auto& e : fs::directory_iterator(runtime_root(), ec)) {
    std::string name = e.path().filename().string();
    // Container ids never start with a dot; .seccomp-cache is the runtime's.
    if (e.is_directory() && !name.starts_with('.')) ids.push_back(name);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::string Agent::log_text() const {
  std::ifstream in(root_ / "agent.log");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

nlohmann::json probe_container(const std::string& name, const std::vector<std::string>& args) {
  nlohmann::json command = nlohmann::json::array({"/bin/skiff-probe"});
  for (const auto& a : args) command.push_back(a);
  return {{"name", name}, {"image", kTestImage}, {"command", command}, {"essential", true}};
}

nlohmann::json task_definition(const std::string& family, const nlohmann::json& containers) {
  return {{"family", family},
          {"networkMode", "host"},
          {"memory", "512"},
          {"containerDefinitions", containers}};
}

const nlohmann::json& container(const nlohmann::json& task, const std::string& name) {
  for (const auto& c : task.at("containers")) {
    if (c.at("name") == name) return c;
  }
  static const nlohmann::json none;
  ADD_FAILURE() << "no container " << name << " in " << task.dump();
  return none;
}

}  // namespace skiff::test
