// A real skiff-controlplane process on 127.0.0.1 with its own data directory, plus
// simulated agents on one io_context thread (tests/support/simagent).
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "protocol/tls/https_client.h"
#include "tests/support/simagent/sim_agent.h"

namespace skiff::test {

class ControlPlane {
 public:
  // Extra command-line arguments, e.g. {"--disconnect-timeout", "2"}. `host` is the address
  // it listens on (and a --san of its certificate when it is not 127.0.0.1).
  explicit ControlPlane(std::vector<std::string> extra_args = {}, std::string host = "127.0.0.1");
  ~ControlPlane();

  void start(std::uint16_t port = 0);
  void kill9();
  void stop();  // SIGTERM and wait
  bool alive();

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& host() const { return host_; }
  std::string ca() const { return (dir_ / "data" / "certs" / "ca.pem").string(); }
  const std::filesystem::path& dir() const { return dir_; }
  tls::HttpsClient admin() const;
  std::string log() const;

 private:
  std::filesystem::path dir_;
  std::vector<std::string> extra_;
  std::string host_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::string admin_token_;
};

// Runs simulated agents on a background io_context thread.
class AgentPool {
 public:
  explicit AgentPool(const ControlPlane& cp);
  ~AgentPool();

  // Creates an activation in `cluster`, registers and starts an agent.
  std::shared_ptr<sim::SimAgent> add(const std::string& cluster, const std::string& hostname,
                                     const std::string& arch, sim::Mode mode = sim::Mode::kRun,
                                     std::uint64_t cpu = 4096, std::uint64_t memory_mib = 4096);
  std::shared_ptr<sim::SimAgent> connect(const std::string& instance_id, const std::string& token,
                                         sim::Mode mode = sim::Mode::kRun);
  boost::asio::ssl::context& tls() { return tls_; }

 private:
  const ControlPlane& cp_;
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  boost::asio::ssl::context tls_;
  std::vector<std::shared_ptr<sim::SimAgent>> agents_;
  std::thread thread_;
};

// Polls fn() until it returns true (every 50 ms) or the timeout passes.
bool eventually(const std::function<bool()>& fn,
                std::chrono::milliseconds timeout = std::chrono::seconds(20));

// The number of healthy (RUNNING and HEALTHY) tasks after each recorded millisecond from
// `from_ms` on, from the tasks' transitions; transitions sharing a millisecond count
// together, or two tasks turning healthy at once would read as one.
std::vector<std::pair<std::int64_t, int>> healthy_timeline(const nlohmann::json& tasks,
                                                           std::int64_t from_ms);

// A task definition with one container "app" and optional host port and health check.
nlohmann::json simple_taskdef(const std::string& family, const std::string& image,
                              int host_port = 0, bool health_check = false);

}  // namespace skiff::test
