// The link's protocol side: Hello and replay on each connection, refusals, shutdown. How
// frames travel (TLS, WebSocket, reconnecting) is protocol/tls/wss_link.h.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "agent/connection/client_impl.h"
#include "agent/engine/engine.h"
#include "common/json_parse.h"
#include "protocol/limits.h"

namespace skiff::agent {

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

void ControlPlaneClient::Impl::make_link() {
  skiff::tls::WssLinkOptions o;
  o.host = options.endpoint.host;
  o.port = options.endpoint.port;
  o.token = options.registration.token;
  o.user_agent = "skiff-agent/0.1.0";
  o.idle_timeout = options.idle_timeout;
  // The link's handlers may outlive a client being torn down: they hold it weakly.
  std::weak_ptr<Impl> weak = weak_from_this();
  skiff::tls::WssHandlers h;
  h.opened = [weak] {
    if (auto self = weak.lock()) self->on_open();
  };
  h.message = [weak](std::string text, bool binary) {
    if (auto self = weak.lock()) self->on_message(text, binary);
  };
  h.closed = [weak](const skiff::tls::WssClosed& c) {
    if (auto self = weak.lock()) self->on_closed(c);
  };
  link = std::make_unique<skiff::tls::WssLink>(ioc.get_executor(), tls, std::move(o), std::move(h));
}

void ControlPlaneClient::Impl::on_open() {
  open = true;
  out_seq = 0;
  in_seq = 0;
  errors_sent = 0;
  sent_through = 0;
  state_by_frame.clear();
  spdlog::info("connected to the control plane at {} as {}", options.endpoint.url(),
               options.registration.instance_id);
  set_status(true, "");
  send(hello());
  for (const auto& sc : outbox.pending()) send_state(sc);
}

void ControlPlaneClient::Impl::on_closed(const skiff::tls::WssClosed& c) {
  open = false;
  set_status(false, c.why);
  if (stopped) return;
  if (c.was_open) {
    spdlog::warn("control plane connection lost: {}; tasks keep running, retrying in {} ms", c.why,
                 c.retry_in.count());
  } else {
    spdlog::warn("control plane at {}: {}; retrying in {} ms", options.endpoint.url(), c.why,
                 c.retry_in.count());
  }
}

void ControlPlaneClient::Impl::send(protocol::Body body) {
  if (!open) return;
  link->send(protocol::serialize(protocol::Frame{++out_seq, std::move(body)}));
}

void ControlPlaneClient::Impl::send_error(const std::string& code, const std::string& message,
                                          std::uint64_t ref) {
  spdlog::warn("control plane frame {} refused: {} ({})", ref, message, code);
  send(protocol::ErrorFrame{code, message, ref});
  if (++errors_sent > protocol::kMaxErrorsPerConnection && open) {
    link->close(1008, "too many errors", "closed: too many errors from the control plane");
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
  open = false;
  if (!link) return work.reset();
  link->stop([self = shared_from_this()] { self->work.reset(); });
}

ControlPlaneClient::ControlPlaneClient(ControlPlaneOptions options, TaskEngine& engine)
    : impl_(std::make_shared<Impl>(std::move(options), engine)) {}

ControlPlaneClient::~ControlPlaneClient() {
  stop();
}

void ControlPlaneClient::start() {
  auto impl = impl_;
  net::post(impl->ioc, [impl] {
    impl->make_link();
    impl->link->start();
  });
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
