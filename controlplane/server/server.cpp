#include "controlplane/server/server.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>

#include "controlplane/server/api.h"
#include "controlplane/server/conn_gate.h"
#include "protocol/limits.h"

namespace skiff::cp {
namespace {

// A real client finishes its TLS handshake in milliseconds; one that has not after 5 s is
// holding a slot (about 86 KiB and an fd) for nothing.
constexpr auto kTlsHandshakeTimeout = std::chrono::seconds(5);
constexpr auto kHttpReadTimeout = std::chrono::seconds(30);
constexpr auto kTickInterval = std::chrono::milliseconds(250);
// After an error reply to a request not read whole (413, 431, 400), read and drop what the
// client still sends, up to these, so that closing does not reset the connection and lose
// the reply (a close with unread data sends RST).
constexpr auto kLingerTimeout = std::chrono::seconds(2);
constexpr std::size_t kLingerMaxBytes = 4 << 20;
constexpr std::size_t kMaxHeaderBytes = 8 * 1024;
// accept() failing (EMFILE, ENFILE, ENOBUFS): retry after this, doubling up to the cap,
// instead of spinning on a listen socket that stays readable.
constexpr auto kAcceptBackoffStart = std::chrono::milliseconds(10);
constexpr auto kAcceptBackoffCap = std::chrono::milliseconds(1000);
constexpr auto kAcceptLogInterval = std::chrono::seconds(10);

// One TLS connection: HTTP requests until it closes, or an upgrade to an AgentSession.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket&& socket, ssl::context& tls, Controller& controller,
              const std::string& admin_token, SessionOptions options,
              std::shared_ptr<UnauthenticatedSet> unauthenticated)
      : stream_(std::move(socket), tls),
        controller_(controller),
        admin_token_(admin_token),
        options_(options),
        unauthenticated_(std::move(unauthenticated)) {}

  ~HttpSession() { authenticated(); }

  void run() {
    beast::error_code ec;
    auto ep = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
    if (!ec) peer_ = ep.address().to_string();
    ticket_ = unauthenticated_->add([weak = weak_from_this()] {
      // Evicted: closing the socket fails whatever is pending, which ends the session.
      if (auto self = weak.lock()) beast::get_lowest_layer(self->stream_).close();
    });
    beast::get_lowest_layer(stream_).expires_after(kTlsHandshakeTimeout);
    stream_.async_handshake(ssl::stream_base::server,
                            [self = shared_from_this()](beast::error_code e) {
                              if (!e) self->do_read();
                            });
  }

 private:
  // Leaves the capped set (an admin call with the token, an agent's upgrade, or gone).
  void authenticated() {
    if (ticket_ != 0) unauthenticated_->remove(ticket_);
    ticket_ = 0;
  }

  void do_read() {
    parser_.emplace();
    parser_->body_limit(protocol::kMaxHttpBodyBytes);
    parser_->header_limit(kMaxHeaderBytes);
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
    if (ec == http::error::header_limit) {
      reply(431, {{"error", "headers_too_large"}, {"message", "headers: over 8 KiB"}}, false);
      return;
    }
    if (ec.category() == beast::error_code(http::error::end_of_stream).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message) {
      reply(400,
            {{"error", "bad_request"}, {"message", "not an HTTP/1.1 request: " + ec.message()}},
            false);
      return;
    }
    if (ec) return;  // closed or timed out: drop the connection
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
    if (r.authenticated) authenticated();
    reply(r.status, r.body, req.keep_alive(), r.allow);
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
    authenticated();
    std::make_shared<AgentSession>(std::move(stream_), controller_, instance_id, options_)
        ->run(parser_->release());
  }

  void reply(unsigned status, const nlohmann::json& body, bool keep_alive,
             const std::string& allow = "") {
    auto res =
        std::make_shared<http::response<http::string_body>>(static_cast<http::status>(status), 11);
    res->set(http::field::server, "skiff-controlplane");
    res->set(http::field::content_type, "application/json");
    if (!allow.empty()) res->set(http::field::allow, allow);
    res->keep_alive(keep_alive);
    res->body() = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    res->prepare_payload();
    beast::get_lowest_layer(stream_).expires_after(kHttpReadTimeout);
    http::async_write(
        stream_, *res, [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
          if (ec) return;
          if (res->keep_alive()) {
            self->do_read();
          } else if (!self->parser_->is_done()) {
            self->linger();
          } else {
            beast::get_lowest_layer(self->stream_).expires_after(std::chrono::seconds(5));
            self->stream_.async_shutdown([self](beast::error_code) {});
          }
        });
  }

  // The request was not read whole: send FIN (no TLS close_notify, the reply is complete
  // by its Content-Length) and drop what still arrives until the client closes.
  void linger() {
    auto& tcp = beast::get_lowest_layer(stream_);
    beast::error_code ignored;
    tcp.socket().shutdown(tcp::socket::shutdown_send, ignored);
    tcp.expires_after(kLingerTimeout);
    drain_ = std::make_unique<std::array<char, 16 * 1024>>();
    drain_more();
  }

  void drain_more() {
    beast::get_lowest_layer(stream_).async_read_some(
        net::buffer(*drain_), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
          self->drained_ += n;
          if (ec || self->drained_ > kLingerMaxBytes) {
            beast::get_lowest_layer(self->stream_).close();
            return;
          }
          self->drain_more();
        });
  }

  TlsStream stream_;
  Controller& controller_;
  const std::string& admin_token_;
  SessionOptions options_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string peer_;
  std::shared_ptr<UnauthenticatedSet> unauthenticated_;
  std::uint64_t ticket_ = 0;
  std::unique_ptr<std::array<char, 16 * 1024>> drain_;
  std::size_t drained_ = 0;
};

// Unauthenticated connections may hold at most half the fds, whatever the limit is now,
// so a flood meets the cap (and evictions) before it meets EMFILE.
std::size_t unauthenticated_cap(std::size_t configured) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return configured;
  return std::max<std::size_t>(1, std::min<std::size_t>(configured, rl.rlim_cur / 2));
}

}  // namespace

Server::Server(net::io_context& ioc, ssl::context& tls, const tcp::endpoint& listen,
               Controller& controller, std::string admin_token, SessionOptions session_options)
    : ioc_(ioc),
      tls_(tls),
      acceptor_(ioc, listen),
      controller_(controller),
      admin_token_(std::move(admin_token)),
      session_options_(session_options),
      tick_(ioc),
      accept_retry_(ioc),
      unauthenticated_(std::make_shared<UnauthenticatedSet>(session_options.max_unauthenticated)),
      accept_log_(kAcceptLogInterval) {}

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
  accept_retry_.cancel();
}

void Server::do_accept() {
  acceptor_.async_accept(net::make_strand(ioc_), [this](beast::error_code ec, tcp::socket sock) {
    if (stopped_) return;
    if (!ec) {
      accept_backoff_ = std::chrono::milliseconds(0);
      unauthenticated_->set_cap(unauthenticated_cap(session_options_.max_unauthenticated));
      std::make_shared<HttpSession>(std::move(sock), tls_, controller_, admin_token_,
                                    session_options_, unauthenticated_)
          ->run();
      do_accept();
      return;
    }
    if (ec == net::error::connection_aborted) {  // the client gave up first: nothing wrong here
      do_accept();
      return;
    }
    on_accept_failed(ec);
  });
}

void Server::on_accept_failed(const beast::error_code& ec) {
  // Out of fds (or memory): the pending connection stays in the backlog and the listen
  // socket stays readable, so retrying at once would spin. Give an fd back by closing the
  // oldest unauthenticated connection, then wait.
  const bool evicted = unauthenticated_->evict_oldest();
  accept_backoff_ = accept_backoff_.count() == 0 ? kAcceptBackoffStart
                                                 : std::min<std::chrono::milliseconds>(
                                                       2 * accept_backoff_, kAcceptBackoffCap);
  std::uint64_t suppressed = 0;
  if (accept_log_.allow(suppressed)) {
    spdlog::warn(
        "accept: {}; retrying in {} ms{}, {} unauthenticated connections ({} lines like this "
        "suppressed)",
        ec.message(), accept_backoff_.count(), evicted ? " after closing the oldest" : "",
        unauthenticated_->size(), suppressed);
  }
  accept_retry_.expires_after(accept_backoff_);
  accept_retry_.async_wait([this](beast::error_code wait_ec) {
    if (wait_ec || stopped_) return;
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
