// The agent's local API: HTTP/1.1 + JSON on a root-only unix socket (docs/agent-api.md).
//
// One accept thread and one thread per connection (at most max_connections), with
// blocking Beast I/O under deadlines: long calls (drain) and follow streams never hold up
// other requests, and a connection costs nothing while there is none. stop() wakes and
// joins every thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <list>
#include <memory>
#include <mutex>
#include <thread>

#include "agent/api/agent_service.h"
#include "agent/api/listen_socket.h"
#include "common/unique_fd.h"

namespace skiff::agent {

struct ApiServerOptions {
  std::filesystem::path socket_path = "/run/skiff/agent.sock";
  std::size_t max_body = 1024 * 1024;                 // larger request bodies get 413
  std::size_t max_header = 16 * 1024;                 // larger request headers get 431
  std::size_t max_connections = 32;                   // more at once get 503
  std::chrono::milliseconds request_timeout{30'000};  // to read one request
  std::chrono::milliseconds write_timeout{30'000};    // a client that stops reading
  std::chrono::milliseconds follow_poll{250};         // follow streams look for new data
  std::chrono::milliseconds status_poll{1'000};       // log follows check the task's status
};

class ApiServer {
 public:
  ApiServer(AgentService& service, ApiServerOptions options = {});
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds the socket (see open_listen_socket) and starts serving. Throws skiff::Error.
  void start();
  // Closes the socket, ends every connection and stream, joins all threads. Idempotent.
  void stop();

  const std::filesystem::path& socket_path() const { return options_.socket_path; }

 private:
  struct Connection;

  void accept_loop();
  void serve(Connection& connection);
  void reap_finished();

  AgentService& service_;
  ApiServerOptions options_;
  ListenSocket listener_;
  UniqueFd wake_;  // eventfd: tells the accept loop to return
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mutex_;
  std::list<std::unique_ptr<Connection>> connections_;
};

}  // namespace skiff::agent
