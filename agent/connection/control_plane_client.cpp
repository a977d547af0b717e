// The WebSocket link: connect, Hello, replay, read, reconnect with backoff.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "agent/connection/client_impl.h"
#include "agent/engine/engine.h"
#include "common/json_parse.h"
#include "protocol/limits.h"
#include "protocol/tls/verify_host.h"

namespace skiff::agent {

namespace ssl = net::ssl;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

ControlPlaneClient::Impl::Impl(ControlPlaneOptions o, TaskEngine& e)
    : options(std::move(o)),
      engine(e),
      outbox(options.state_dir / "outbox"),
      desired(options.state_dir / "desired-seqs.json") {
  // The pinned CA only: the system store is never trusted for this connection.
  tls.load_verify_file(options.ca_file.string());
}

void ControlPlaneClient::Impl::set_status(bool up, const std::string& error) {
  {
    std::lock_guard lock(mu);
    connected = up;
    if (up) ++connects;
    if (!error.empty()) last_error = error;
  }
  cv.notify_all();
}

void ControlPlaneClient::Impl::connect() {
  if (stopped) return;
  const auto gen = ++generation;
  // A message cut off by the last connection must not prefix this one's first frame.
  buffer.clear();
  ws = std::make_unique<WsStream>(ioc, tls);
  const auto& host = options.endpoint.host;
  tls::verify_host(ws->next_layer(), host);
  auto& tcp_layer = beast::get_lowest_layer(*ws);
  tcp_layer.expires_after(protocol::kHandshakeTimeout);
  beast::error_code ec;
  auto address = net::ip::make_address(host, ec);
  if (ec) {
    // A name: resolve it synchronously (rare, short, and only on this thread).
    tcp::resolver resolver(ioc);
    auto results = resolver.resolve(host, std::to_string(options.endpoint.port), ec);
    if (ec || results.empty()) {
      return disconnected(gen, fmt::format("resolve {}: {}", host, ec.message()));
    }
    address = results.begin()->endpoint().address();
  }
  tcp_layer.async_connect(tcp::endpoint(address, options.endpoint.port),
                          [self = shared_from_this(), gen](beast::error_code ec2) {
                            if (gen != self->generation) return;
                            if (ec2) return self->disconnected(gen, "connect: " + ec2.message());
                            self->on_tcp(gen);
                          });
}

void ControlPlaneClient::Impl::on_tcp(std::uint64_t gen) {
  ws->next_layer().async_handshake(ssl::stream_base::client, [self = shared_from_this(),
                                                              gen](beast::error_code ec) {
    if (gen != self->generation) return;
    if (ec) return self->disconnected(gen, "TLS handshake: " + ec.message());
    beast::get_lowest_layer(*self->ws).expires_never();
    websocket::stream_base::timeout t{};
    t.handshake_timeout = protocol::kHandshakeTimeout;
    t.idle_timeout = self->options.idle_timeout;
    t.keep_alive_pings = false;  // the control plane's heartbeats prove it alive
    self->ws->set_option(t);
    self->ws->read_message_max(protocol::kMaxFrameBytes);
    const auto token = self->options.registration.token;
    self->ws->set_option(websocket::stream_base::decorator([token](websocket::request_type& req) {
      req.set(http::field::authorization, "Bearer " + token);
      req.set(http::field::sec_websocket_protocol, std::string(protocol::kSubprotocol));
      req.set(http::field::user_agent, "skiff-agent/0.1.0");
    }));
    self->handshake_res = {};
    self->ws->async_handshake(
        self->handshake_res, self->options.endpoint.host, "/v1/connect",
        [self, gen](beast::error_code ec2) {
          if (gen != self->generation) return;
          if (ec2) {
            const auto status = self->handshake_res.result_int();
            if (status == 0) return self->disconnected(gen, "upgrade: " + ec2.message());
            // The body is the control plane's {"error","message"}; it holds no secret.
            auto body = self->handshake_res.body().substr(0, 300);
            return self->disconnected(
                gen, fmt::format("control plane refused the connection: HTTP {} {}", status, body));
          }
          self->on_open(gen);
        });
  });
}

void ControlPlaneClient::Impl::on_open(std::uint64_t gen) {
  open = true;
  out_seq = 0;
  in_seq = 0;
  errors_sent = 0;
  sent_through = 0;
  state_by_frame.clear();
  connected_at = std::chrono::steady_clock::now();
  ws->text(true);
  spdlog::info("connected to the control plane at {} as {}", options.endpoint.url(),
               options.registration.instance_id);
  set_status(true, "");
  send(hello());
  for (const auto& sc : outbox.pending()) send_state(sc);
  read(gen);
}

void ControlPlaneClient::Impl::read(std::uint64_t gen) {
  ws->async_read(buffer, [self = shared_from_this(), gen](beast::error_code ec, std::size_t) {
    if (gen != self->generation) return;
    if (ec) {
      std::string why = ec.message();
      if (ec == websocket::error::closed) {
        const auto& r = self->ws->reason();
        why = fmt::format("closed by the control plane ({} {})", r.code,
                          std::string(r.reason.data(), r.reason.size()));
      } else if (ec == websocket::error::message_too_big) {
        why = fmt::format("a message over {} bytes (closed with 1009)", protocol::kMaxFrameBytes);
      } else if (ec == beast::error::timeout) {
        why = fmt::format("nothing heard for {} s", self->options.idle_timeout.count());
      }
      return self->disconnected(gen, why);
    }
    const bool binary = !self->ws->got_text();
    auto text = beast::buffers_to_string(self->buffer.data());
    self->buffer.consume(self->buffer.size());
    self->on_message(text, binary);
    if (gen == self->generation) self->read(gen);
  });
}

void ControlPlaneClient::Impl::disconnected(std::uint64_t gen, const std::string& why) {
  if (gen != generation) return;
  ++generation;  // ignore the rest of this connection's handlers
  const bool was_open = open;
  // Only a connection that lasted resets the backoff, so a peer that accepts and drops at
  // once is not hammered.
  if (open && std::chrono::steady_clock::now() - connected_at > protocol::kBackoffResetAfter) {
    attempt = 0;
  }
  open = false;
  writing = false;
  queue.clear();
  if (ws) {
    beast::error_code ignored;
    beast::get_lowest_layer(*ws).socket().close(ignored);
  }
  set_status(false, why);
  if (stopped) return;
  const auto delay =
      protocol::backoff_delay(attempt++, std::uniform_real_distribution<>(0, 1)(rng));
  if (was_open) {
    spdlog::warn("control plane connection lost: {}; tasks keep running, retrying in {} ms", why,
                 delay.count());
  } else {
    spdlog::warn("control plane at {}: {}; retrying in {} ms", options.endpoint.url(), why,
                 delay.count());
  }
  retry_timer.expires_after(delay);
  retry_timer.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (!ec) self->connect();
  });
}

void ControlPlaneClient::Impl::send(protocol::Body body) {
  if (!open) return;
  queue.push_back(protocol::serialize(protocol::Frame{++out_seq, std::move(body)}));
  if (!writing) write();
}

void ControlPlaneClient::Impl::write() {
  writing = true;
  const auto gen = generation;
  ws->async_write(net::buffer(queue.front()),
                  [self = shared_from_this(), gen](beast::error_code ec, std::size_t) {
                    if (gen != self->generation) return;
                    self->writing = false;
                    if (ec) return self->disconnected(gen, "write: " + ec.message());
                    self->queue.pop_front();
                    if (!self->queue.empty()) self->write();
                  });
}

void ControlPlaneClient::Impl::send_error(const std::string& code, const std::string& message,
                                          std::uint64_t ref) {
  spdlog::warn("control plane frame {} refused: {} ({})", ref, message, code);
  send(protocol::ErrorFrame{code, message, ref});
  if (++errors_sent > protocol::kMaxErrorsPerConnection && open) {
    const auto gen = generation;
    ws->async_close(websocket::close_reason(websocket::close_code::policy_error, "too many errors"),
                    [self = shared_from_this(), gen](beast::error_code) {
                      self->disconnected(gen, "closed: too many errors from the control plane");
                    });
  }
}

void ControlPlaneClient::Impl::on_message(const std::string& text, bool binary) {
  if (binary) return send_error("bad_frame", "binary frames are not part of the protocol", 0);
  protocol::Frame f;
  try {
    f = protocol::parse_frame(text);
  } catch (const protocol::ProtocolError& e) {
    // refSeq when the envelope at least had one.
    auto j = skiff::parse_json_or_discarded(text);
    std::uint64_t ref = 0;
    if (j.is_object() && j.contains("seq") && j["seq"].is_number_unsigned()) {
      ref = j["seq"].get<std::uint64_t>();
    }
    return send_error(e.code(), e.what(), ref);
  }
  if (f.seq <= in_seq) {
    return send_error("stale_seq", fmt::format("seq: {} is not greater than {}", f.seq, in_seq),
                      f.seq);
  }
  in_seq = f.seq;
  try {
    handle_frame(f);
  } catch (const std::exception& e) {
    // One bad frame must never take the link (or the tasks) down.
    send_error("internal", e.what(), f.seq);
  }
}

void ControlPlaneClient::Impl::shutdown() {
  stopped = true;
  retry_timer.cancel();
  if (!ws) return;
  ++generation;
  if (open) {
    open = false;
    ws->async_close(websocket::close_code::going_away,
                    [self = shared_from_this()](beast::error_code) {
                      beast::error_code ignored;
                      beast::get_lowest_layer(*self->ws).socket().close(ignored);
                      self->work.reset();
                    });
    return;
  }
  beast::error_code ignored;
  beast::get_lowest_layer(*ws).socket().close(ignored);
  work.reset();
}

ControlPlaneClient::ControlPlaneClient(ControlPlaneOptions options, TaskEngine& engine)
    : impl_(std::make_shared<Impl>(std::move(options), engine)) {}

ControlPlaneClient::~ControlPlaneClient() {
  stop();
}

void ControlPlaneClient::start() {
  auto impl = impl_;
  net::post(impl->ioc, [impl] { impl->connect(); });
  impl->io_thread = std::thread([impl] {
    impl->ioc.run();
    std::lock_guard lock(impl->mu);
    impl->io_done = true;
    impl->cv.notify_all();
  });
  impl->reporter_thread = std::thread([impl] { impl->reporter_loop(); });
}

void ControlPlaneClient::stop() {
  auto impl = impl_;
  if (!impl->io_thread.joinable()) return;
  {
    std::lock_guard lock(impl->mu);
    impl->reporter_stop = true;
  }
  impl->cv.notify_all();
  if (impl->reporter_thread.joinable()) impl->reporter_thread.join();
  net::post(impl->ioc, [impl] { impl->shutdown(); });
  {
    // The close handshake gets a moment; then the io_context is stopped regardless.
    std::unique_lock lock(impl->mu);
    impl->cv.wait_for(lock, std::chrono::seconds(2), [&] { return impl->io_done; });
  }
  impl->ioc.stop();
  impl->io_thread.join();
}

nlohmann::json ControlPlaneClient::status() const {
  std::lock_guard lock(impl_->mu);
  return {{"instanceId", impl_->options.registration.instance_id},
          {"cluster", impl_->options.registration.cluster},
          {"controlPlane",
           {{"endpoint", impl_->options.endpoint.url()},
            {"connected", impl_->connected},
            {"connects", impl_->connects},
            {"unackedStateChanges", impl_->outbox.size()},
            {"lastError", impl_->last_error}}}};
}

}  // namespace skiff::agent
