#include "registry_fixture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "common/file_io.h"
#include "common/unique_fd.h"
#include "image/registry/challenge.h"
#include "image/store/digest.h"
#include "token_server.h"

namespace skiff::testing {

namespace fs = std::filesystem;

void write_text(const fs::path& p, const std::string& content) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary | std::ios::trunc) << content;
}

ScopedEnv::ScopedEnv(std::string name, const std::string& value) : name_(std::move(name)) {
  if (const char* old = ::getenv(name_.c_str())) old_ = old;
  ::setenv(name_.c_str(), value.c_str(), 1);
}

ScopedEnv::~ScopedEnv() {
  if (old_) {
    ::setenv(name_.c_str(), old_->c_str(), 1);
  } else {
    ::unsetenv(name_.c_str());
  }
}

unsigned short free_port() {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    throw std::runtime_error("free_port: bind failed");
  }
  return ntohs(a.sin_port);
}

void run_command(const std::vector<std::string>& argv) {
  TempDir tmp;
  fs::path log = tmp / "output";
  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string out;
    try {
      out = read_file(log);
    } catch (...) {
    }
    throw std::runtime_error(fmt::format("{} failed (status {}): {}", argv[0], status, out));
  }
}

fs::path test_images_storage() {
  fs::path storage = SKIFF_REGISTRY_STORAGE;
  fs::path script = fs::path(SKIFF_FIXTURES) / "registry-images.sh";
  std::string stamp_want = image::sha256_of(read_file(script)).str();
  fs::path stamp = storage.string() + ".stamp";
  fs::create_directories(storage.parent_path());
  // One builder at a time; ctest runs test processes in parallel.
  UniqueFd lock(::open((storage.string() + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  ::flock(lock.get(), LOCK_EX);
  std::error_code ec;
  if (fs::exists(stamp, ec) && read_file(stamp) == stamp_want && fs::exists(storage, ec)) {
    return storage;
  }
  run_command({"bash", script.string(), storage.string(), std::to_string(free_port())});
  write_text(stamp, stamp_want);
  return storage;
}

Registry::Registry(Mode mode) : mode_(mode) {
  fs::path storage = test_images_storage();
  unsigned short port = free_port();
  host_ = fmt::format("127.0.0.1:{}", port);
  std::string config = fmt::format(R"(version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {}
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: {}
)",
                                   storage.string(), host_);
  if (mode == Mode::kTls) {
    make_tls();
    config += fmt::format("  tls:\n    certificate: {}\n    key: {}\n",
                          (dir_ / "server.crt").string(), (dir_ / "server.key").string());
  }
  if (mode == Mode::kBasic) {
    run_command({"sh", "-c",
                 fmt::format("htpasswd -Bbn {} '{}' > {}", kUser, kPassword,
                             (dir_ / "htpasswd").string())});
    config += fmt::format("auth:\n  htpasswd:\n    realm: basic-realm\n    path: {}\n",
                          (dir_ / "htpasswd").string());
  }
  if (mode == Mode::kToken) {
    make_token_server();
    config += fmt::format(
        "auth:\n  token:\n    realm: {}\n    service: {}\n    issuer: {}\n"
        "    rootcertbundle: {}\n",
        token_->realm(), TokenServer::kService, TokenServer::kIssuer,
        (dir_ / "token.crt").string());
  }
  write_text(dir_ / "config.yml", config);
  start(dir_ / "config.yml");
}

void Registry::make_tls() {
  // A throwaway CA and a server certificate for 127.0.0.1 signed by it.
  std::string d = dir_.path().string();
  run_command(
      {"sh", "-c",
       fmt::format("set -e; cd {0}; "
                   "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                   "-keyout ca.key -out ca.crt -days 2 -subj /CN=skiff-test-ca; "
                   "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                   "-keyout server.key -out server.csr -subj /CN=127.0.0.1; "
                   "printf 'subjectAltName=IP:127.0.0.1\\nbasicConstraints=CA:FALSE\\n' > ext; "
                   "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
                   "-out server.crt -days 2 -extfile ext",
                   d)});
  ca_file_ = dir_ / "ca.crt";
}

void Registry::make_token_server() {
  run_command({"sh", "-c",
               fmt::format("set -e; cd {}; openssl req -x509 -newkey rsa:2048 -nodes "
                           "-keyout token.key -out token.crt -days 2 -subj /CN=skiff-token",
                           dir_.path().string())});
  token_ = std::make_unique<TokenServer>(dir_ / "token.key", dir_ / "token.crt", kUser, kPassword);
}

void Registry::start(const fs::path& config) {
  fs::path log = dir_ / "registry.log";
  pid_ = ::fork();
  if (pid_ == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execlp("docker-registry", "docker-registry", "serve", config.c_str(), nullptr);
    ::_exit(127);
  }
  if (pid_ < 0) throw std::runtime_error("fork failed");
  // Ready once it accepts connections (a TCP connect, which every mode answers).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  unsigned short port = static_cast<unsigned short>(std::stoi(host_.substr(host_.rfind(':') + 1)));
  while (true) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("docker-registry exited at start: " + read_file(log));
    }
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) return;
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("docker-registry did not listen on " + host_ + ": " +
                               read_file(log));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

Registry::~Registry() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
}

fs::path Registry::write_auth_file(const std::string& password) const {
  fs::path file = dir_ / "auth" / "config.json";
  write_text(file, fmt::format(R"({{"auths": {{"{}": {{"auth": "{}"}}}}}})", host_,
                               image::base64_encode(std::string(kUser) + ":" + password)));
  return file;
}

::testing::AssertionResult store_is_consistent(const fs::path& root) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root / "ingest", ec)) {
    return ::testing::AssertionFailure() << "ingest not empty: " << e.path();
  }
  for (const auto& e : fs::directory_iterator(root / "blobs" / "sha256")) {
    std::string hex = image::sha256_of(read_file(e.path())).hex();
    if (hex != e.path().filename().string()) {
      return ::testing::AssertionFailure() << e.path() << " hashes to " << hex;
    }
  }
  return ::testing::AssertionSuccess();
}

}  // namespace skiff::testing
