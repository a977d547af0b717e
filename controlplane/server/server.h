// The TLS listener: HTTP admin API, /v1/register and the /v1/connect upgrade on one port,
// plus the controller's tick timer. One io_context, one thread.
#pragma once

#include <memory>
#include <string>

#include "controlplane/server/agent_session.h"
#include "controlplane/server/conn_gate.h"
#include "controlplane/server/controller.h"
#include "controlplane/server/net.h"

namespace skiff::cp {

class Server {
 public:
  Server(net::io_context& ioc, ssl::context& tls, const tcp::endpoint& listen,
         Controller& controller, std::string admin_token, SessionOptions session_options);

  void start();
  void stop();
  std::uint16_t port() const;

 private:
  void do_accept();
  void on_accept_failed(const beast::error_code& ec);
  void schedule_tick();

  net::io_context& ioc_;
  ssl::context& tls_;
  tcp::acceptor acceptor_;
  Controller& controller_;
  std::string admin_token_;
  SessionOptions session_options_;
  net::steady_timer tick_;
  net::steady_timer accept_retry_;
  std::chrono::milliseconds accept_backoff_{0};
  std::shared_ptr<UnauthenticatedSet> unauthenticated_;
  LogLimiter accept_log_;
  bool stopped_ = false;
};

}  // namespace skiff::cp
