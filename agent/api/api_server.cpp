#include "agent/api/api_server.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>

#include "agent/api/api_routes.h"
#include "agent/api/api_streams.h"
#include "agent/api/unix_stream.h"
#include "common/error.h"

namespace skiff::agent {

namespace http = boost::beast::http;

struct ApiServer::Connection {
  explicit Connection(UniqueFd fd) : stream(std::move(fd)) {}
  UnixStream stream;
  std::thread thread;
  std::atomic<bool> done{false};
  // Since when it has waited for a request's headers; 0 while it serves one or streams.
  std::atomic<std::int64_t> waiting_since_ns{0};
  // Closed to make room; its thread still sets `done` itself (only then is it joined, so a
  // long call that raced the eviction never blocks the accept loop).
  std::atomic<bool> evicted{false};
};

namespace {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

ApiServer::ApiServer(AgentService& service, ApiServerOptions options)
    : service_(service), options_(std::move(options)) {}

ApiServer::~ApiServer() {
  stop();
}

void ApiServer::start() {
  if (acceptor_.joinable()) return;
  listener_ = open_listen_socket(options_.socket_path);
  wake_ = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake_) throw_errno("eventfd", "");
  stopping_ = false;
  acceptor_ = std::thread([this] { accept_loop(); });
}

void ApiServer::stop() {
  if (!acceptor_.joinable()) return;
  stopping_ = true;
  std::uint64_t one = 1;
  (void)!::write(wake_.get(), &one, sizeof one);
  acceptor_.join();
  remove_listen_socket(listener_);
  listener_ = ListenSocket{};
  std::list<std::unique_ptr<Connection>> all;
  {
    std::lock_guard lock(mutex_);
    all.swap(connections_);
  }
  for (auto& c : all) c->stream.shutdown();
  for (auto& c : all) c->thread.join();
}

void ApiServer::reap_finished() {
  std::list<std::unique_ptr<Connection>> finished;
  {
    std::lock_guard lock(mutex_);
    for (auto it = connections_.begin(); it != connections_.end();) {
      if ((*it)->done) {
        finished.push_back(std::move(*it));
        it = connections_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& c : finished) c->thread.join();
}

bool ApiServer::evict_longest_waiting() {
  Connection* oldest = nullptr;
  std::int64_t oldest_since = 0;
  for (auto& c : connections_) {
    const std::int64_t since = c->waiting_since_ns;
    if (c->done || c->evicted || since == 0) continue;
    if (oldest == nullptr || since < oldest_since) {
      oldest = c.get();
      oldest_since = since;
    }
  }
  if (oldest == nullptr) return false;
  // Its thread wakes with an error and ends; the slot is free from now on.
  oldest->waiting_since_ns = 0;
  oldest->evicted = true;
  oldest->stream.shutdown();
  return true;
}

void ApiServer::accept_loop() {
  while (!stopping_) {
    pollfd fds[2] = {{listener_.fd.get(), POLLIN, 0}, {wake_.get(), POLLIN, 0}};
    // Wake up now and then to join threads of finished connections.
    int r = ::poll(fds, 2, 1000);
    reap_finished();
    if (r <= 0 || stopping_) continue;
    if (!(fds[0].revents & POLLIN)) continue;
    UniqueFd fd(::accept4(listener_.fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!fd) {
      // Out of fds: the pending connection stays readable, so pause instead of spinning.
      if (errno == EMFILE || errno == ENFILE) ::poll(nullptr, 0, 100);
      continue;  // EINTR, ECONNABORTED: the next round retries
    }
    auto conn = std::make_unique<Connection>(std::move(fd));
    conn->waiting_since_ns = now_ns();
    std::lock_guard lock(mutex_);
    if (connections_.size() >= options_.max_connections && !evict_longest_waiting()) {
      // Answered inline: a short reply fits the socket buffer, so this cannot block.
      write_reply(conn->stream,
                  error_reply(http::status::service_unavailable, "too many connections"), false,
                  std::chrono::milliseconds(100));
      continue;
    }
    Connection& c = *conn;
    connections_.push_back(std::move(conn));
    c.thread = std::thread([this, &c] {
      try {
        serve(c);
      } catch (...) {
        // serve() reports errors to the client; nothing may escape a thread.
      }
      c.stream.shutdown();
      c.done = true;
    });
  }
}

namespace {

bool is_root_or_owner(int fd) {
  try {
    uid_t uid = peer_uid(fd);
    return uid == 0 || uid == ::geteuid();
  } catch (const Error&) {
    return false;
  }
}

// After refusing a body we have not read, keep reading (a bounded amount, briefly) so the
// client's writes finish and it sees the reply instead of EPIPE or a reset.
void discard_input(UnixStream& stream, std::size_t limit) {
  ::shutdown(stream.fd(), SHUT_WR);
  stream.expires_after(std::chrono::seconds(2));
  char buf[16 * 1024];
  for (std::size_t total = 0; total < limit;) {
    boost::system::error_code ec;
    total += stream.read_some(boost::asio::buffer(buf), ec);
    if (ec) break;
  }
}

}  // namespace

void ApiServer::serve(Connection& connection) {
  UnixStream& stream = connection.stream;
  if (!is_root_or_owner(stream.fd())) {
    write_reply(stream, error_reply(http::status::forbidden, "the agent API is root-only"), false,
                options_.write_timeout);
    return;
  }
  StreamContext ctx{stream,
                    service_,
                    stopping_,
                    options_.follow_poll,
                    options_.status_poll,
                    options_.write_timeout};
  boost::beast::flat_buffer buffer;
  while (!stopping_) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options_.max_header));
    parser.body_limit(options_.max_body);
    boost::system::error_code ec;
    connection.waiting_since_ns = now_ns();
    stream.expires_after(options_.header_timeout);
    http::read_header(stream, buffer, parser, ec);
    connection.waiting_since_ns = 0;
    if (connection.evicted) return;  // closed to make room while it waited
    if (!ec && parser.get()[http::field::expect] == "100-continue") {
      http::response<http::empty_body> cont{http::status::continue_, 11};
      http::write(stream, cont, ec);
    }
    stream.expires_after(options_.request_timeout);
    if (!ec) http::read(stream, buffer, parser, ec);
    if (ec == http::error::end_of_stream || ec == boost::asio::error::eof ||
        ec == boost::asio::error::timed_out || ec == boost::asio::error::connection_reset) {
      return;
    }
    if (ec == http::error::body_limit) {
      write_reply(
          stream,
          error_reply(http::status::payload_too_large,
                      "request body is over " + std::to_string(options_.max_body) + " bytes"),
          false, options_.write_timeout);
      discard_input(stream, 4 * options_.max_body);
      return;
    }
    if (ec == http::error::header_limit) {
      write_reply(
          stream,
          error_reply(http::status::request_header_fields_too_large,
                      "request header is over " + std::to_string(options_.max_header) + " bytes"),
          false, options_.write_timeout);
      return;
    }
    if (ec) {
      write_reply(stream, error_reply(http::status::bad_request, "bad request: " + ec.message()),
                  false, options_.write_timeout);
      return;
    }
    const auto& req = parser.get();
    ApiRequest request{req.method(), std::string(req.target()), req.body()};
    ApiReply reply = handle_request(service_, request);
    if (reply.logs || reply.events) {
      // Streams may not take the slots kept for plain requests.
      if (streams_.fetch_add(1) >= options_.max_streams) {
        streams_.fetch_sub(1);
        write_reply(stream,
                    error_reply(http::status::service_unavailable,
                                "too many log and event streams (" +
                                    std::to_string(options_.max_streams) + ")"),
                    false, options_.write_timeout);
        return;
      }
      struct Release {
        std::atomic<std::size_t>& n;
        ~Release() { n.fetch_sub(1); }
      } release{streams_};
      if (reply.logs) return stream_logs(ctx, *reply.logs);
      return stream_events(ctx, *reply.events);
    }
    bool keep_alive = req.keep_alive() && !stopping_;
    if (!write_reply(stream, reply, keep_alive, options_.write_timeout) || !keep_alive) return;
  }
}

}  // namespace skiff::agent
