// The TLS listener: HTTP admin API, /v1/register and the /v1/connect upgrade on one port,
// plus the controller's tick timer. One io_context, one thread.
#pragma once

#include <memory>
#include <string>

#include "controlplane/server/agent_session.h"
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
  void schedule_tick();

  net::io_context& ioc_;
  ssl::context& tls_;
  tcp::acceptor acceptor_;
  Controller& controller_;
  std::string admin_token_;
  SessionOptions session_options_;
  net::steady_timer tick_;
  bool stopped_ = false;
};

}  // namespace skiff::cp
