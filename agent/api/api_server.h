// The agent's local API: HTTP/1.1 + JSON on a root-only unix socket (docs/agent-api.md).
//
// One accept thread and one thread per connection (at most max_connections), with
// blocking Beast I/O under deadlines: long calls (drain) and follow streams never hold up
// other requests, and a connection costs nothing while there is none. stop() wakes and
// joins every thread.
//
// Hostile or careless clients cannot shut `skiffctl ps` out (issue 12 item 8): streams
// (logs, events) take at most max_streams of the slots, so the rest are a reserve for
// plain requests; a connection waiting for its request's headers gets header_timeout; and
// when every slot is taken, the connection that has waited longest for a request is
// closed to make room (a real client sends its request at once).
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
  std::size_t max_connections = 128;                  // past this, the longest waiter goes
  std::size_t max_streams = 96;                       // more streams at once get 503
  std::chrono::milliseconds header_timeout{5'000};    // idle or headers, per request
  std::chrono::milliseconds request_timeout{30'000};  // to read one request's body
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
  // With mutex_ held: closes the connection waiting longest for a request; false if none.
  bool evict_longest_waiting();

  AgentService& service_;
  ApiServerOptions options_;
  ListenSocket listener_;
  UniqueFd wake_;  // eventfd: tells the accept loop to return
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mutex_;
  std::list<std::unique_ptr<Connection>> connections_;
  std::atomic<std::size_t> streams_{0};
};

}  // namespace skiff::agent
