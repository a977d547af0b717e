#include "controlplane/server/server.h"

#include <spdlog/spdlog.h>

#include "controlplane/protocol/limits.h"
#include "controlplane/server/api.h"

namespace skiff::cp {
namespace {

constexpr auto kTlsHandshakeTimeout = std::chrono::seconds(10);
constexpr auto kHttpReadTimeout = std::chrono::seconds(30);
constexpr auto kTickInterval = std::chrono::milliseconds(250);

// One TLS connection: HTTP requests until it closes, or an upgrade to an AgentSession.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket&& socket, ssl::context& tls, Controller& controller,
              const std::string& admin_token, SessionOptions options)
      : stream_(std::move(socket), tls),
        controller_(controller),
        admin_token_(admin_token),
        options_(options) {}

  void run() {
    beast::error_code ec;
    auto ep = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
    if (!ec) peer_ = ep.address().to_string();
    beast::get_lowest_layer(stream_).expires_after(kTlsHandshakeTimeout);
    stream_.async_handshake(ssl::stream_base::server,
                            [self = shared_from_this()](beast::error_code e) {
                              if (!e) self->do_read();
                            });
  }

 private:
  void do_read() {
    parser_.emplace();
    parser_->body_limit(protocol::kMaxHttpBodyBytes);
    parser_->header_limit(8 * 1024);
    beast::get_lowest_layer(stream_).expires_after(kHttpReadTimeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      reply(413, {{"error", "too_large"}, {"message", "body: over 1 MiB"}}, false);
      return;
    }
    if (ec) return;  // closed, timed out or garbage: drop the connection
    auto& req = parser_->get();
    if (websocket::is_upgrade(req)) {
      upgrade();
      return;
    }
    HttpCall call;
    call.method = std::string(req.method_string());
    call.target = std::string(req.target());
    call.authorization = std::string(req[http::field::authorization]);
    call.body = std::move(req.body());
    call.peer_address = peer_;
    auto r = handle_http(controller_, admin_token_, call);
    reply(r.status, r.body, req.keep_alive());
  }

  void upgrade() {
    auto& req = parser_->get();
    const auto target = std::string(req.target());
    if (target != "/v1/connect") {
      reply(404, {{"error", "not_found"}, {"message", "upgrade only on /v1/connect"}}, false);
      return;
    }
    const auto protocols = std::string(req[http::field::sec_websocket_protocol]);
    if (protocols.find(protocol::kSubprotocol) == std::string::npos) {
      reply(400,
            {{"error", "bad_subprotocol"},
             {"message", "Sec-WebSocket-Protocol: skiff-protocol/1 required"}},
            false);
      return;
    }
    const auto auth = std::string(req[http::field::authorization]);
    std::string instance_id;
    try {
      if (auth.rfind("Bearer ", 0) != 0)
        throw ApiError(401, "token_invalid", "Authorization: Bearer token required");
      instance_id = controller_.authenticate(auth.substr(7));
    } catch (const ApiError& e) {
      reply(static_cast<unsigned>(e.status()), {{"error", e.code()}, {"message", e.what()}}, false);
      return;
    }
    std::make_shared<AgentSession>(std::move(stream_), controller_, instance_id, options_)
        ->run(parser_->release());
  }

  void reply(unsigned status, const nlohmann::json& body, bool keep_alive) {
    auto res =
        std::make_shared<http::response<http::string_body>>(static_cast<http::status>(status), 11);
    res->set(http::field::server, "skiff-controlplane");
    res->set(http::field::content_type, "application/json");
    res->keep_alive(keep_alive);
    res->body() = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    res->prepare_payload();
    beast::get_lowest_layer(stream_).expires_after(kHttpReadTimeout);
    http::async_write(
        stream_, *res, [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
          if (ec) return;
          if (res->keep_alive()) {
            self->do_read();
          } else {
            beast::get_lowest_layer(self->stream_).expires_after(std::chrono::seconds(5));
            self->stream_.async_shutdown([self](beast::error_code) {});
          }
        });
  }

  TlsStream stream_;
  Controller& controller_;
  const std::string& admin_token_;
  SessionOptions options_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string peer_;
};

}  // namespace

Server::Server(net::io_context& ioc, ssl::context& tls, const tcp::endpoint& listen,
               Controller& controller, std::string admin_token, SessionOptions session_options)
    : ioc_(ioc),
      tls_(tls),
      acceptor_(ioc, listen),
      controller_(controller),
      admin_token_(std::move(admin_token)),
      session_options_(session_options),
      tick_(ioc) {}

std::uint16_t Server::port() const {
  return acceptor_.local_endpoint().port();
}

void Server::start() {
  do_accept();
  schedule_tick();
}

void Server::stop() {
  stopped_ = true;
  beast::error_code ignored;
  acceptor_.close(ignored);
  tick_.cancel();
}

void Server::do_accept() {
  acceptor_.async_accept(net::make_strand(ioc_), [this](beast::error_code ec, tcp::socket sock) {
    if (stopped_) return;
    if (!ec) {
      std::make_shared<HttpSession>(std::move(sock), tls_, controller_, admin_token_,
                                    session_options_)
          ->run();
    } else if (ec == net::error::no_descriptors) {
      spdlog::warn("accept: out of file descriptors");
    }
    do_accept();
  });
}

void Server::schedule_tick() {
  tick_.expires_after(kTickInterval);
  tick_.async_wait([this](beast::error_code ec) {
    if (ec || stopped_) return;
    try {
      controller_.tick();
    } catch (const std::exception& e) {
      spdlog::error("controller tick: {}", e.what());
    }
    schedule_tick();
  });
}

}  // namespace skiff::cp
