// One agent's WebSocket stream: frame limits, parsing, seq checks, heartbeats, and a
// write queue with a single async_write in flight. Decisions are the Controller's.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <string>

#include "controlplane/server/controller.h"
#include "controlplane/server/net.h"

namespace skiff::cp {

struct SessionOptions {
  std::chrono::milliseconds heartbeat{10'000};
  std::chrono::milliseconds idle_timeout{30'000};
  // Connections not yet authenticated (TLS handshakes, first requests) held at once.
  std::size_t max_unauthenticated = 256;
};

class AgentSession : public AgentLink, public std::enable_shared_from_this<AgentSession> {
 public:
  AgentSession(TlsStream&& stream, Controller& controller, std::string instance_id,
               SessionOptions options);
  ~AgentSession() override;

  // Accepts the upgrade request already read by the HTTP session.
  void run(http::request<http::string_body> req);

  std::uint64_t send(protocol::Body body) override;
  void close(std::uint16_t code, const std::string& reason) override;

 private:
  void on_accept(beast::error_code ec);
  void do_read();
  void on_read(beast::error_code ec, std::size_t bytes);
  void handle_text(const std::string& text);
  void reply_error(const std::string& code, const std::string& message, std::uint64_t ref_seq);
  void do_write();
  void on_write(beast::error_code ec, std::size_t bytes);
  void schedule_heartbeat();
  void finish();

  websocket::stream<TlsStream> ws_;
  Controller& controller_;
  std::string instance_id_;
  SessionOptions options_;
  beast::flat_buffer buffer_;
  net::steady_timer heartbeat_;
  std::deque<std::string> queue_;
  bool writing_ = false;
  bool attached_ = false;
  bool closing_ = false;
  bool finished_ = false;
  websocket::close_reason close_reason_;
  std::uint64_t out_seq_ = 0;
  std::uint64_t in_seq_ = 0;
  int errors_ = 0;
};

}  // namespace skiff::cp
