#include "protocol/tls/wss_link.h"

#include <fmt/format.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <deque>
#include <random>

#include "protocol/limits.h"
#include "protocol/tls/verify_host.h"

namespace skiff::tls {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using Ws = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

struct WssLink::State : std::enable_shared_from_this<WssLink::State> {
  State(net::any_io_executor ex, ssl::context& t, WssLinkOptions o, WssHandlers h)
      : executor(std::move(ex)),
        tls(t),
        options(std::move(o)),
        handlers(std::move(h)),
        retry_timer(executor) {}

  net::any_io_executor executor;
  ssl::context& tls;
  WssLinkOptions options;
  WssHandlers handlers;
  std::unique_ptr<Ws> ws;
  net::steady_timer retry_timer;
  beast::flat_buffer buffer;
  websocket::response_type handshake_res;
  std::deque<std::pair<std::string, bool>> queue;  // text, binary
  bool writing = false;
  bool open = false;
  bool stopped = true;
  unsigned attempt = 0;
  std::uint64_t generation = 0;  // bumps per connection: stale handlers do nothing
  std::chrono::steady_clock::time_point connected_at;
  std::mt19937_64 rng{std::random_device{}()};

  void connect() {
    if (stopped) return;
    const auto gen = ++generation;
    // A message cut off by the last connection must not prefix this one's first frame.
    buffer.clear();
    ws = std::make_unique<Ws>(executor, tls);
    verify_host(ws->next_layer(), options.host);
    auto& tcp_layer = beast::get_lowest_layer(*ws);
    tcp_layer.expires_after(protocol::kHandshakeTimeout);
    beast::error_code ec;
    auto address = net::ip::make_address(options.host, ec);
    if (ec) {
      // A name: resolve it synchronously (rare, short, and only on this executor).
      tcp::resolver resolver(executor);
      auto results = resolver.resolve(options.host, std::to_string(options.port), ec);
      if (ec || results.empty()) {
        return failed(gen, fmt::format("resolve {}: {}", options.host, ec.message()));
      }
      address = results.begin()->endpoint().address();
    }
    tcp_layer.async_connect(tcp::endpoint(address, options.port),
                            [self = shared_from_this(), gen](beast::error_code ec2) {
                              if (gen != self->generation) return;
                              if (ec2) return self->failed(gen, "connect: " + ec2.message());
                              self->tls_handshake(gen);
                            });
  }

  void tls_handshake(std::uint64_t gen) {
    ws->next_layer().async_handshake(ssl::stream_base::client,
                                     [self = shared_from_this(), gen](beast::error_code ec) {
                                       if (gen != self->generation) return;
                                       if (ec)
                                         return self->failed(gen, "TLS handshake: " + ec.message());
                                       self->upgrade(gen);
                                     });
  }

  void upgrade(std::uint64_t gen) {
    beast::get_lowest_layer(*ws).expires_never();
    websocket::stream_base::timeout t{};
    t.handshake_timeout = protocol::kHandshakeTimeout;
    t.idle_timeout = options.idle_timeout;
    t.keep_alive_pings = false;  // the control plane's heartbeats prove it alive
    ws->set_option(t);
    ws->read_message_max(protocol::kMaxFrameBytes);
    ws->set_option(websocket::stream_base::decorator(
        [token = options.token, agent = options.user_agent](websocket::request_type& req) {
          req.set(http::field::authorization, "Bearer " + token);
          req.set(http::field::sec_websocket_protocol, std::string(protocol::kSubprotocol));
          if (!agent.empty()) req.set(http::field::user_agent, agent);
        }));
    handshake_res = {};
    ws->async_handshake(handshake_res, options.host, "/v1/connect",
                        [self = shared_from_this(), gen](beast::error_code ec) {
                          if (gen != self->generation) return;
                          if (!ec) return self->opened(gen);
                          const int status = static_cast<int>(self->handshake_res.result_int());
                          if (status == 0) return self->failed(gen, "upgrade: " + ec.message());
                          // The body is the control plane's {"error","message"}; it holds no
                          // secret.
                          WssClosed c;
                          c.http_status = status;
                          c.why = fmt::format("control plane refused the connection: HTTP {} {}",
                                              status, self->handshake_res.body().substr(0, 300));
                          self->ended(gen, std::move(c));
                        });
  }

  void opened(std::uint64_t gen) {
    open = true;
    connected_at = std::chrono::steady_clock::now();
    ws->text(true);
    if (handlers.opened) handlers.opened();
    if (gen == generation) read(gen);
  }

  void read(std::uint64_t gen) {
    ws->async_read(buffer, [self = shared_from_this(), gen](beast::error_code ec, std::size_t) {
      if (gen != self->generation) return;
      if (ec) return self->read_failed(gen, ec);
      const bool binary = !self->ws->got_text();
      auto text = beast::buffers_to_string(self->buffer.data());
      self->buffer.consume(self->buffer.size());
      if (self->handlers.message) self->handlers.message(std::move(text), binary);
      if (gen == self->generation) self->read(gen);
    });
  }

  void read_failed(std::uint64_t gen, beast::error_code ec) {
    WssClosed c;
    c.why = ec.message();
    if (ec == websocket::error::closed) {
      const auto& r = ws->reason();
      c.close_code = r.code;
      c.close_reason.assign(r.reason.data(), r.reason.size());
      c.why = fmt::format("closed by the control plane ({} {})", c.close_code, c.close_reason);
    } else if (ec == websocket::error::message_too_big) {
      c.why = fmt::format("a message over {} bytes (closed with 1009)", protocol::kMaxFrameBytes);
    } else if (ec == beast::error::timeout) {
      c.why = fmt::format("nothing heard for {} s", options.idle_timeout.count());
    }
    ended(gen, std::move(c));
  }

  void failed(std::uint64_t gen, std::string why) {
    WssClosed c;
    c.why = std::move(why);
    ended(gen, std::move(c));
  }

  // The one way a connection ends: report it, then maybe try again.
  void ended(std::uint64_t gen, WssClosed c) {
    if (gen != generation) return;
    ++generation;  // ignore the rest of this connection's handlers
    c.was_open = open;
    // Only a connection that lasted resets the backoff, so a peer that accepts and drops at
    // once is not hammered.
    if (open && std::chrono::steady_clock::now() - connected_at > protocol::kBackoffResetAfter) {
      attempt = 0;
    }
    open = false;
    writing = false;
    queue.clear();
    close_socket();
    const bool retry = !stopped && options.reconnect;
    if (retry) {
      c.retry_in = protocol::backoff_delay(attempt++, std::uniform_real_distribution<>(0, 1)(rng));
    }
    if (handlers.closed) handlers.closed(c);
    if (!retry || stopped) return;
    retry_timer.expires_after(c.retry_in);
    retry_timer.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->connect();
    });
  }

  void send(std::string text, bool binary) {
    if (!open) return;
    queue.emplace_back(std::move(text), binary);
    if (!writing) write();
  }

  void write() {
    writing = true;
    ws->binary(queue.front().second);
    const auto gen = generation;
    ws->async_write(net::buffer(queue.front().first),
                    [self = shared_from_this(), gen](beast::error_code ec, std::size_t) {
                      if (gen != self->generation) return;
                      self->writing = false;
                      if (ec) return self->failed(gen, "write: " + ec.message());
                      self->queue.pop_front();
                      if (!self->queue.empty()) self->write();
                    });
  }

  void close(std::uint16_t code, const std::string& reason, const std::string& why) {
    if (!open) return;
    const auto gen = generation;
    ws->async_close(
        websocket::close_reason(static_cast<websocket::close_code>(code), reason),
        [self = shared_from_this(), gen, why](beast::error_code) { self->failed(gen, why); });
  }

  void stop(std::function<void()> done) {
    stopped = true;
    retry_timer.cancel();
    ++generation;
    const bool was_open = open;
    open = false;
    writing = false;
    queue.clear();
    if (ws && was_open) {
      ws->async_close(websocket::close_code::going_away,
                      [self = shared_from_this(), done = std::move(done)](beast::error_code) {
                        self->close_socket();
                        if (done) done();
                      });
      return;
    }
    close_socket();
    if (done) done();
  }

  void close_socket() {
    if (!ws) return;
    beast::error_code ignored;
    beast::get_lowest_layer(*ws).socket().close(ignored);
  }
};

WssLink::WssLink(net::any_io_executor executor, ssl::context& tls, WssLinkOptions options,
                 WssHandlers handlers)
    : state_(std::make_shared<State>(std::move(executor), tls, std::move(options),
                                     std::move(handlers))) {}

WssLink::~WssLink() {
  // Pending handlers keep the state alive: stop it on its own executor (this may run on
  // another thread), and call nobody back once the owner is gone.
  net::post(state_->executor, [s = state_] {
    s->handlers = {};
    s->stop({});
  });
}

void WssLink::start() {
  state_->stopped = false;
  state_->attempt = 0;
  state_->connect();
}

void WssLink::send(std::string text, bool binary) {
  state_->send(std::move(text), binary);
}

bool WssLink::is_open() const {
  return state_->open;
}

void WssLink::close(std::uint16_t code, const std::string& reason, const std::string& why) {
  state_->close(code, reason, why);
}

void WssLink::stop(std::function<void()> done) {
  state_->stop(std::move(done));
}

}  // namespace skiff::tls
