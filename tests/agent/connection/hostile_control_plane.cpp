#include "hostile_control_plane.h"

#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "controlplane/server/certs.h"
#include "protocol/frames.h"
#include "protocol/limits.h"

namespace skiff::test {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using nlohmann::json;
using TlsStream = beast::ssl_stream<tcp::socket>;
using Ws = websocket::stream<TlsStream>;

json body_of(const json& frame) {
  return frame.contains("body") && frame["body"].is_object() ? frame["body"] : json::object();
}

}  // namespace

struct HostileControlPlane::Io {
  net::io_context ioc;
  net::ssl::context tls{net::ssl::context::tls_server};
  tcp::acceptor acceptor{ioc};
  std::atomic<bool> done{false};
};

HostileControlPlane::HostileControlPlane(const std::string& host, const std::filesystem::path& dir,
                                         json task)
    : task_(std::move(task)), host_(host), io_(std::make_unique<Io>()) {
  // The same CA and server certificate the real control plane makes for itself.
  const auto paths = cp::ensure_certs(dir / "certs", {host});
  ca_ = paths.ca_cert;
  cert_ = paths.server_cert;
  key_ = paths.server_key;
  io_->tls.use_certificate_chain_file(cert_.string());
  io_->tls.use_private_key_file(key_.string(), net::ssl::context::pem);
  const tcp::endpoint ep(net::ip::make_address(host), 0);
  io_->acceptor.open(ep.protocol());
  io_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  io_->acceptor.bind(ep);
  io_->acceptor.listen();
  port_ = io_->acceptor.local_endpoint().port();
  thread_ = std::thread([this] {
    serve();
    io_->done = true;
  });
}

HostileControlPlane::~HostileControlPlane() {
  stopping_ = true;
  {
    std::lock_guard lock(mu_);
    attack_ = true;
  }
  cv_.notify_all();
  ::shutdown(io_->acceptor.native_handle(), SHUT_RDWR);
  // A connection accepted just now may not have published its fd yet: keep at it.
  while (!io_->done) {
    const int fd = active_fd_.load();
    if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  thread_.join();
}

void HostileControlPlane::attack() {
  {
    std::lock_guard lock(mu_);
    attack_ = true;
  }
  cv_.notify_all();
}

HostileControlPlane::View HostileControlPlane::view() const {
  std::lock_guard lock(mu_);
  return view_;
}

void HostileControlPlane::record(const std::function<void(View&)>& fn) {
  std::lock_guard lock(mu_);
  fn(view_);
}

void HostileControlPlane::serve() {
  int sessions = 0;
  while (!stopping_) {
    beast::error_code ec;
    tcp::socket sock(io_->ioc);
    io_->acceptor.accept(sock, ec);
    if (ec || stopping_) return;
    active_fd_ = sock.native_handle();
    TlsStream tls(std::move(sock), io_->tls);
    tls.handshake(net::ssl::stream_base::server, ec);
    beast::flat_buffer buf;
    http::request_parser<http::string_body> parser;
    parser.body_limit(1 << 20);
    if (!ec) http::read(tls, buf, parser, ec);
    if (ec) {
      active_fd_ = -1;
      continue;
    }
    auto req = parser.release();
    if (websocket::is_upgrade(req) && req.target() == "/v1/connect") {
      record([&](View& v) {
        v.authorizations.push_back(std::string(req[http::field::authorization]));
      });
      Ws ws(std::move(tls));
      ws.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
        res.set(http::field::sec_websocket_protocol, std::string(protocol::kSubprotocol));
      }));
      ws.read_message_max(16 << 20);
      ws.accept(req, ec);
      if (!ec) session(sessions++, &ws);
    } else {
      http::response<http::string_body> res;
      res.version(11);
      res.keep_alive(false);
      res.set(http::field::content_type, "application/json");
      if (req.method() == http::verb::post && req.target() == "/v1/register") {
        record([](View& v) { ++v.registrations; });
        res.result(http::status::created);
        res.body() =
            json{{"instanceId", kInstanceId}, {"cluster", "hostile"}, {"token", token()}}.dump();
      } else {
        res.result(http::status::not_found);
        res.body() = R"({"error":"not_found","message":"hostile test server"})";
      }
      res.prepare_payload();
      http::write(tls, res, ec);
      tls.shutdown(ec);
    }
    active_fd_ = -1;
  }
}

// One WebSocket session. Every session: Hello in, TaskManifest out, StateChanges acked.
// Sessions 0 and 1 then attack (see the header).
void HostileControlPlane::session(int index, void* stream) {
  auto& ws = *static_cast<Ws*>(stream);
  record([](View& v) { ++v.connections; });
  beast::error_code ec;
  std::uint64_t out = 0;
  std::uint64_t manifest_seq = 0;
  auto send_text = [&](const std::string& text, bool binary = false) {
    ws.binary(binary);
    ws.write(net::buffer(text), ec);
    ws.text(true);
    return !ec;
  };
  auto send_frame = [&](protocol::Body body) {
    const auto seq = ++out;
    send_text(protocol::serialize(protocol::Frame{seq, std::move(body)}));
    return seq;
  };
  beast::flat_buffer buf;
  // Reads one message; records and answers it. False once the connection ended.
  auto read = [&](json& j) {
    buf.clear();
    ws.read(buf, ec);
    if (ec) return false;
    const auto text = beast::buffers_to_string(buf.data());
    j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) j = {{"raw", text.substr(0, 200)}};
    j["_session"] = index;
    record([&](View& v) { v.received.push_back(j); });
    const auto type = j.value("type", "");
    const auto b = body_of(j);
    if (type == "StateChange" && j.contains("seq") && j["seq"].is_number_unsigned()) {
      send_frame(protocol::Ack{j["seq"].get<std::uint64_t>()});
      if (b.value("taskId", "") == task_["taskId"] && b.value("knownStatus", "") == "RUNNING") {
        record([](View& v) { v.task_running = true; });
      }
    }
    if (type == "Ack" && manifest_seq != 0 && b.value("seq", 0ULL) == manifest_seq) {
      record([&](View& v) { v.manifest_acked.insert(index); });
    }
    return true;
  };
  // Reads until the connection ends; how it ended.
  auto drain = [&] {
    json ignored;
    while (read(ignored)) {
    }
    return ec;
  };

  json j;
  do {
    if (!read(j)) return;
  } while (j.value("type", "") != "Hello");
  manifest_seq = send_frame(protocol::TaskManifest{{protocol::parse_task_spec(task_, "task")}});

  if (index == 0) {
    while (!view().task_running) {
      if (!read(j)) return;
    }
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return attack_; });
    }
    if (stopping_) return;
    Seqs s;
    send_text("this is not json {");           // bad_json
    send_text("\x01\x02 binary frame", true);  // bad_frame
    s.unknown_type = ++out;
    send_text(json{{"type", "Bogus"}, {"seq", s.unknown_type}, {"body", json::object()}}.dump());
    auto missing = task_;
    missing.erase("taskId");
    s.missing_task_id = ++out;
    send_text(json{{"type", "Payload"},
                   {"seq", s.missing_task_id},
                   {"body", {{"tasks", json::array({missing})}}}}
                  .dump());
    auto evil = task_;
    evil["taskId"] = "../../etc";
    s.hostile_task_id = ++out;
    send_text(json{
        {"type", "Payload"}, {"seq", s.hostile_task_id}, {"body", {{"tasks", json::array({evil})}}}}
                  .dump());
    s.dot_dot_stop = send_frame(protocol::StopTask{"..", "hostile", 99});
    // A valid Heartbeat, then the same seq again: stale.
    s.stale = send_frame(protocol::Heartbeat{protocol::now_rfc3339()});
    send_text(protocol::serialize(
        protocol::Frame{s.stale, protocol::Heartbeat{protocol::now_rfc3339()}}));
    // The agent answers in order: once the marker is acked, every reply above is in.
    s.marker = send_frame(protocol::Heartbeat{protocol::now_rfc3339()});
    record([&](View& v) { v.seqs = s; });
    if (ec) {
      record([&](View& v) { v.failure = "sending the attack: " + ec.message(); });
      return;
    }
    for (;;) {
      if (!read(j)) {
        record([&](View& v) { v.failure = "connection ended before the marker: " + ec.message(); });
        return;
      }
      if (j.value("type", "") == "HeartbeatAck" && body_of(j).value("seq", 0ULL) == s.marker) break;
    }
    record([](View& v) { v.attack_done = true; });
    // Only the header of one unfragmented text frame over kMaxFrameBytes: the agent must
    // refuse it from the header alone and close with 1009.
    const std::uint64_t len = protocol::kMaxFrameBytes + 64 * 1024;
    std::string header = {'\x81', '\x7f'};  // FIN + text; 64-bit length follows
    for (int shift = 56; shift >= 0; shift -= 8) header += static_cast<char>((len >> shift) & 0xff);
    net::write(ws.next_layer(), net::buffer(header), ec);
    const auto write_error = ec;
    drain();
    record([&](View& v) {
      if (ec == websocket::error::closed) {
        v.close_code = static_cast<int>(ws.reason().code);
      } else {
        v.close_error = "read: " + ec.message() + "; write: " + write_error.message();
      }
    });
    return;
  }
  if (index == 1) {
    // Wait for the manifest's Ack, then a 1.1 MiB message in 4 KiB fragments: the agent
    // only sees it is too big after taking in the first 1 MiB.
    while (view().manifest_acked.count(1) == 0) {
      if (!read(j)) return;
    }
    ws.auto_fragment(true);
    ws.write_buffer_bytes(4096);
    const std::string padding(protocol::kMaxFrameBytes + 64 * 1024, 'x');
    send_text(json{{"type", "Heartbeat"}, {"seq", ++out}, {"body", {{"at", padding}}}}.dump());
    const auto write_error = ec;
    drain();
    record([&](View& v) {
      v.fragmented_end = "read: " + ec.message() + "; write: " + write_error.message();
    });
    return;
  }
  drain();
}

}  // namespace skiff::test
