#include "runtime_harness.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace skiff::testing {

namespace fs = std::filesystem;

namespace {

fs::path make_temp_dir(const char* prefix) {
  std::string tmpl = std::string("/run/") + prefix + "XXXXXX";  // /run: visible in the VM too
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp " + tmpl);
  return tmpl;
}

}  // namespace

CommandResult run_command(const std::vector<std::string>& argv, int timeout_seconds) {
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe");
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    ::execv(cargv[0], cargv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  ::close(err[1]);
  CommandResult r;
  // Read until the command exits, not until EOF: a detached container keeps the stdio it
  // inherited from `create` (as conmon's pipes would be), so EOF may never come.
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  auto drain = [&](pollfd& p) {
    char buf[4096];
    ssize_t n = ::read(p.fd, buf, sizeof buf);
    if (n <= 0) {
      ::close(p.fd);
      p.fd = -1;
      return;
    }
    (&p == &fds[0] ? r.out : r.err).append(buf, static_cast<size_t>(n));
  };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  int status = 0;
  bool exited = false;
  while (!exited) {
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      r.err += "\n[harness: timed out]";
    }
    exited = ::waitpid(pid, &status, WNOHANG) == pid;
    // After exit, take only what is already buffered.
    while (::poll(fds, 2, exited ? 0 : 20) > 0) {
      bool any = false;
      for (auto& p : fds) {
        if (p.fd >= 0 && (p.revents & (POLLIN | POLLHUP))) {
          drain(p);
          any = true;
        }
      }
      if (!any || !exited) break;
    }
  }
  for (auto& p : fds) {
    if (p.fd >= 0) ::close(p.fd);
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

namespace {

// One busybox rootfs per test process: building it is slow under the VM's emulation, and
// containers never write to it (each gets its own mount namespace over it). The path lives
// in a plain array, not a static object: the atexit cleanup must still see it after static
// objects have been destroyed.
char g_template_dir[256];

const fs::path& template_bundle() {
  static const fs::path dir = [] {
    fs::path d = make_temp_dir("skiff-bundle-template-");
    std::snprintf(g_template_dir, sizeof g_template_dir, "%s", d.c_str());
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(g_template_dir, ec);
    });
    auto r = run_command({"/bin/bash", SKIFF_FIXTURES "/make-bundle.sh", d.string(), SKIFF_PROBE});
    if (r.exit_code != 0) throw std::runtime_error("make-bundle.sh failed: " + r.err);
    return d;
  }();
  return dir;
}

}  // namespace

Bundle::Bundle(const std::vector<std::string>& args) : dir_(make_temp_dir("skiff-bundle-")) {
  std::ifstream in(template_bundle() / "config.json");
  config_ = nlohmann::json::parse(in);
  config_["root"]["path"] = (template_bundle() / "rootfs").string();
  if (!args.empty()) config_["process"]["args"] = args;
  save();
}

fs::path Bundle::rootfs() const {
  return config_["root"]["path"].get<std::string>();
}

Bundle::~Bundle() {
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

void Bundle::save() const {
  std::ofstream(dir_ / "config.json") << config_.dump(2);
}

Runtime::Runtime() : root_(make_temp_dir("skiff-rt-root-")) {}

Runtime::~Runtime() {
  // Force-delete whatever a failed test left, then the root itself.
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root_, ec)) {
    run_command({SKIFF_RUNTIME, "--root", root_.string(), "delete", "--force",
                 e.path().filename().string()});
  }
  fs::remove_all(root_, ec);
}

namespace {

// create and run place the container in the test cgroup (place_in_test_cgroup).
void place_cgroup(const std::vector<std::string>& args) {
  if (!std::getenv("SKIFF_TEST_CGROUP_PARENT") || args.empty() ||
      (args[0] != "create" && args[0] != "run")) {
    return;
  }
  auto bundle = std::find(args.begin(), args.end(), "--bundle");
  if (bundle == args.end() || bundle + 1 == args.end()) return;
  fs::path config = fs::path(*(bundle + 1)) / "config.json";
  nlohmann::json j;
  try {
    std::ifstream in(config);
    j = nlohmann::json::parse(in);
  } catch (const std::exception&) {
    return;  // a deliberately broken config stays broken
  }
  place_in_test_cgroup(j, args.back());
  std::ofstream(config) << j.dump(2);
}

}  // namespace

void place_in_test_cgroup(nlohmann::json& config, const std::string& id) {
  const char* parent = std::getenv("SKIFF_TEST_CGROUP_PARENT");
  if (parent != nullptr)
    config["linux"]["cgroupsPath"] = std::string(parent) + "/skiff-runtime/" + id;
}

CommandResult Runtime::operator()(const std::vector<std::string>& args, int timeout_seconds) const {
  place_cgroup(args);
  std::vector<std::string> argv = {SKIFF_RUNTIME, "--root", root_.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, timeout_seconds);
}

std::vector<std::string> leftovers(const Runtime& rt, const std::string& id,
                                   const fs::path& rootfs) {
  std::vector<std::string> found;
  if (fs::exists(rt.root() / id)) found.push_back("state dir " + (rt.root() / id).string());
  std::error_code ec;
  for (const auto& top : fs::recursive_directory_iterator(
           "/sys/fs/cgroup", fs::directory_options::skip_permission_denied, ec)) {
    if (top.is_directory(ec) && top.path().filename() == id &&
        top.path().parent_path().filename() == "skiff-runtime") {
      found.push_back("cgroup " + top.path().string());
    }
  }
  std::ifstream mi("/proc/self/mountinfo");
  for (std::string line; std::getline(mi, line);) {
    if (line.find(rootfs.string()) != std::string::npos) found.push_back("mount " + line);
  }
  return found;
}

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string self_ns(const char* name) {
  std::error_code ec;
  return std::filesystem::read_symlink(std::string("/proc/self/ns/") + name, ec).string();
}

}  // namespace skiff::testing
