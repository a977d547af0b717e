#include "controlplane/server/agent_session.h"

#include <spdlog/spdlog.h>

#include "common/json_parse.h"
#include "protocol/limits.h"

namespace skiff::cp {

AgentSession::AgentSession(TlsStream&& stream, Controller& controller, std::string instance_id,
                           SessionOptions options)
    : ws_(std::move(stream)),
      controller_(controller),
      instance_id_(std::move(instance_id)),
      options_(options),
      heartbeat_(ws_.get_executor()) {}

AgentSession::~AgentSession() = default;

void AgentSession::run(http::request<http::string_body> req) {
  beast::get_lowest_layer(ws_).expires_never();  // the websocket timeouts take over
  websocket::stream_base::timeout t{};
  t.handshake_timeout = protocol::kHandshakeTimeout;
  t.idle_timeout = options_.idle_timeout;
  t.keep_alive_pings = false;  // liveness is the protocol's Heartbeat
  ws_.set_option(t);
  ws_.read_message_max(protocol::kMaxFrameBytes);
  ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
    res.set(http::field::sec_websocket_protocol, std::string(protocol::kSubprotocol));
    res.set(http::field::server, "skiff-controlplane");
  }));
  ws_.async_accept(req, beast::bind_front_handler(&AgentSession::on_accept, shared_from_this()));
}

void AgentSession::on_accept(beast::error_code ec) {
  if (ec) return;
  ws_.text(true);
  controller_.attach(instance_id_, this);
  attached_ = true;
  do_read();
  schedule_heartbeat();
}

void AgentSession::schedule_heartbeat() {
  heartbeat_.expires_after(options_.heartbeat);
  heartbeat_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec || self->finished_) return;
    self->send(protocol::Heartbeat{protocol::now_rfc3339()});
    self->schedule_heartbeat();
  });
}

void AgentSession::do_read() {
  ws_.async_read(buffer_, beast::bind_front_handler(&AgentSession::on_read, shared_from_this()));
}

void AgentSession::on_read(beast::error_code ec, std::size_t) {
  if (ec) {
    // Includes message_too_big, after which Beast has already sent close 1009.
    if (ec == websocket::error::message_too_big) {
      spdlog::warn("instance {}: frame over {} bytes: closed with 1009", instance_id_,
                   protocol::kMaxFrameBytes);
    } else if (ec != websocket::error::closed) {
      spdlog::info("instance {}: connection ended: {}", instance_id_, ec.message());
    }
    finish();
    return;
  }
  if (!ws_.got_text()) {
    reply_error("bad_frame", "frame: binary frames are not part of skiff-protocol/1", 0);
  } else {
    handle_text(beast::buffers_to_string(buffer_.data()));
  }
  buffer_.consume(buffer_.size());
  if (errors_ > protocol::kMaxErrorsPerConnection && !closing_) {
    close(1008, "too many errors");
  }
  if (!finished_) do_read();
}

void AgentSession::handle_text(const std::string& text) {
  protocol::Frame frame;
  try {
    frame = protocol::parse_frame(text);
  } catch (const protocol::ProtocolError& e) {
    // Name the seq if the frame had a readable one.
    std::uint64_t ref = 0;
    auto j = skiff::parse_json_or_discarded(text);
    if (j.is_object() && j.contains("seq") && j["seq"].is_number_unsigned()) {
      ref = j["seq"].get<std::uint64_t>();
    }
    reply_error(e.code(), e.what(), ref);
    return;
  }
  if (frame.seq <= in_seq_) {
    reply_error("stale_seq", fmt::format("seq: {} is not greater than {}", frame.seq, in_seq_),
                frame.seq);
    return;
  }
  in_seq_ = frame.seq;
  try {
    controller_.on_frame(instance_id_, *this, frame);
  } catch (const std::exception& e) {
    spdlog::error("instance {}: frame {} {}: {}", instance_id_, frame.type(), frame.seq, e.what());
    reply_error("internal", e.what(), frame.seq);
  }
}

void AgentSession::reply_error(const std::string& code, const std::string& message,
                               std::uint64_t ref_seq) {
  ++errors_;
  send(protocol::ErrorFrame{code, message, ref_seq});
}

std::uint64_t AgentSession::send(protocol::Body body) {
  const auto seq = ++out_seq_;
  if (finished_ || closing_) return seq;
  queue_.push_back(protocol::serialize(protocol::Frame{seq, std::move(body)}));
  if (!writing_) do_write();
  return seq;
}

void AgentSession::do_write() {
  writing_ = true;
  ws_.async_write(net::buffer(queue_.front()),
                  beast::bind_front_handler(&AgentSession::on_write, shared_from_this()));
}

void AgentSession::on_write(beast::error_code ec, std::size_t) {
  writing_ = false;
  if (ec) {
    finish();
    return;
  }
  queue_.pop_front();
  if (!queue_.empty()) {
    do_write();
  } else if (closing_) {
    ws_.async_close(close_reason_,
                    [self = shared_from_this()](beast::error_code) { self->finish(); });
  }
}

void AgentSession::close(std::uint16_t code, const std::string& reason) {
  if (closing_ || finished_) return;
  closing_ = true;
  close_reason_ = websocket::close_reason(static_cast<websocket::close_code>(code), reason);
  if (attached_) {
    controller_.detach(instance_id_, this);
    attached_ = false;
  }
  if (!writing_) {
    writing_ = true;  // the close is a write; nothing may follow it
    ws_.async_close(close_reason_,
                    [self = shared_from_this()](beast::error_code) { self->finish(); });
  }
}

void AgentSession::finish() {
  if (finished_) return;
  finished_ = true;
  heartbeat_.cancel();
  if (attached_) {
    controller_.detach(instance_id_, this);
    attached_ = false;
  }
  beast::error_code ignored;
  beast::get_lowest_layer(ws_).socket().close(ignored);
}

}  // namespace skiff::cp
