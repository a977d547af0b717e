// skiff-controlplane: the reference control plane (docs/protocol.md).
//
//   DATA/controlplane.db   SQLite (WAL): every record
//   DATA/admin.token       admin API bearer token (0600, generated on first start)
//   DATA/certs/            CA and server certificate (certs.h); agents pin DATA/certs/ca.pem
//   DATA/port              the port actually listened on (useful with --listen HOST:0)
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/asio/signal_set.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "controlplane/server/certs.h"
#include "controlplane/server/secrets.h"
#include "controlplane/server/server.h"

namespace {

namespace fs = std::filesystem;
using namespace skiff::cp;

std::string read_or_create_token(const fs::path& path) {
  if (fs::exists(path)) {
    std::ifstream in(path);
    std::string token;
    std::getline(in, token);
    if (token.size() < 32) throw skiff::Error(path.string() + ": admin token too short");
    return token;
  }
  const auto token = random_hex(32);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) skiff::throw_errno("create", path.string());
  const auto line = token + "\n";
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(fd);
  if (!ok) skiff::throw_errno("write", path.string());
  return token;
}

tcp::endpoint parse_listen(const std::string& s) {
  const auto colon = s.rfind(':');
  if (colon == std::string::npos) throw skiff::Error("--listen '" + s + "': expected HOST:PORT");
  beast::error_code ec;
  auto addr = net::ip::make_address(s.substr(0, colon), ec);
  if (ec) throw skiff::Error("--listen '" + s + "': bad address: " + ec.message());
  unsigned long port = 0;
  try {
    port = std::stoul(s.substr(colon + 1));
  } catch (const std::exception&) {
    port = 70000;
  }
  if (port > 65535) throw skiff::Error("--listen '" + s + "': bad port");
  return {addr, static_cast<unsigned short>(port)};
}

// Each agent holds one socket; raise the soft fd limit to the hard one.
void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"skiff-controlplane: clusters, tasks and services for skiff agents"};
  std::string data_dir;
  std::string listen = "127.0.0.1:8443";
  std::vector<std::string> sans;
  double heartbeat_s = 10, disconnect_timeout_s = 300;
  bool verbose = false;
  app.add_option("--data-dir", data_dir, "state directory (database, certificates, admin token)")
      ->required();
  app.add_option("--listen", listen, "HOST:PORT to listen on (TLS)")->capture_default_str();
  app.add_option("--san", sans, "extra subject alternative name for the server certificate");
  app.add_option("--heartbeat-interval", heartbeat_s, "seconds between heartbeats")
      ->capture_default_str()
      ->check(CLI::Range(0.05, 3600.0));
  app.add_option("--disconnect-timeout", disconnect_timeout_s,
                 "seconds before a disconnected instance's service tasks are replaced")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 86400.0 * 30));
  app.add_flag("-v,--verbose", verbose, "debug logging");
  CLI11_PARSE(app, argc, argv);

  spdlog::set_level(verbose ? spdlog::level::debug : spdlog::level::info);
  try {
    raise_fd_limit();
    const fs::path data(data_dir);
    fs::create_directories(data);
    fs::permissions(data, fs::perms::owner_all, fs::perm_options::replace);
    const auto admin_token = read_or_create_token(data / "admin.token");
    const auto certs = ensure_certs(data / "certs", sans);

    Store store(data / "controlplane.db");
    ControllerOptions copts;
    copts.disconnectTimeoutMs = static_cast<std::int64_t>(disconnect_timeout_s * 1000);
    Controller controller(store, copts);
    controller.load();

    ssl::context tls(ssl::context::tls_server);
    tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                    ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    tls.use_certificate_chain_file(certs.server_cert.string());
    tls.use_private_key_file(certs.server_key.string(), ssl::context::pem);
    // Idle agents are the common case: give their TLS buffers back between messages
    // (about 34 KiB per connection).
    SSL_CTX_set_mode(tls.native_handle(), SSL_MODE_RELEASE_BUFFERS);

    net::io_context ioc(1);
    SessionOptions sopts;
    sopts.heartbeat = std::chrono::milliseconds(static_cast<long long>(heartbeat_s * 1000));
    sopts.idle_timeout = 3 * sopts.heartbeat;
    Server server(ioc, tls, parse_listen(listen), controller, admin_token, sopts);
    server.start();
    {
      // Written whole, then renamed: a reader never sees an empty file.
      std::ofstream(data / "port.tmp") << server.port() << "\n";
    }
    fs::rename(data / "port.tmp", data / "port");
    spdlog::info("skiff-controlplane listening on https://{}:{} (CA {}, admin token {})",
                 listen.substr(0, listen.rfind(':')), server.port(), certs.ca_cert.string(),
                 (data / "admin.token").string());

    net::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](beast::error_code, int sig) {
      spdlog::info("signal {}: stopping", sig);
      server.stop();
      ioc.stop();
    });
    ioc.run();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "skiff-controlplane: " << e.what() << "\n";
    return 1;
  }
}
