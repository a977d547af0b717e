// One skiff-protocol/1 link to a control plane: TCP, TLS pinned to the control plane's CA
// with its host name checked, the WebSocket upgrade to /v1/connect with the bearer token,
// then text frames both ways, and reconnection with jittered backoff. The agent's
// connection and the simulated agent (tests, bench) both drive one; what a frame means is
// theirs, how it travels is this.
//
// Single-threaded: every call, and every handler, runs on the executor given at creation.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace skiff::tls {

struct WssLinkOptions {
  std::string host;  // an address or a name (resolved on each attempt)
  std::uint16_t port = 0;
  std::string token;                      // "Authorization: Bearer <token>"
  std::string user_agent;                 // empty: none sent
  std::chrono::seconds idle_timeout{30};  // nothing heard for this long: the link is dead
  bool reconnect = true;
};

// Why a connection attempt or an open connection ended.
struct WssClosed {
  // For a person: "connect: Connection refused", "control plane refused the connection:
  // HTTP 401 {...}", "closed by the control plane (1008 too many errors)", "nothing heard
  // for 30 s", "a message over 1048576 bytes (closed with 1009)".
  std::string why;
  bool was_open = false;         // the WebSocket had been open (not a failed attempt)
  int http_status = 0;           // the upgrade was answered with this refusal
  std::uint16_t close_code = 0;  // the peer closed with this code and reason
  std::string close_reason;
  std::chrono::milliseconds retry_in{0};  // 0: no retry (stopped, or reconnect off)
};

struct WssHandlers {
  std::function<void()> opened;
  std::function<void(std::string text, bool binary)> message;
  std::function<void(const WssClosed&)> closed;
};

class WssLink {
 public:
  // `tls` must outlive the link and hold the pinned CA.
  WssLink(boost::asio::any_io_executor executor, boost::asio::ssl::context& tls,
          WssLinkOptions options, WssHandlers handlers);
  ~WssLink();
  WssLink(const WssLink&) = delete;
  WssLink& operator=(const WssLink&) = delete;

  // Connects, and keeps reconnecting after each loss unless reconnect is off. Calling it
  // after stop() starts afresh (the backoff too).
  void start();
  // Queues one frame; dropped when the link is not open (the caller replays what matters
  // from its own durable state when `opened` is called again).
  void send(std::string text, bool binary = false);
  bool is_open() const;
  // Closes the open connection with `code` and `reason` (a policy close: too many bad
  // frames); `closed` follows and, with reconnect on, a new attempt.
  void close(std::uint16_t code, const std::string& reason, const std::string& why);
  // For good: the close handshake (going away) if open, then the socket is closed and
  // `done` runs. No handler is called after this except `done`.
  void stop(std::function<void()> done = {});

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace skiff::tls
