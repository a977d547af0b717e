#include "test_server.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <chrono>
#include <stdexcept>

namespace skiff::testing {

namespace beast = boost::beast;
namespace http = beast::http;

namespace {
std::string str(beast::string_view s) {
  return std::string(s.data(), s.size());
}
}  // namespace

bool TestConnection::write(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

void TestConnection::stall() {
  while (!stopping_.load()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

TestServer::TestServer(Handler handler) : handler_(std::move(handler)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::listen(listen_fd_, 16) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    throw std::runtime_error("TestServer: cannot listen");
  }
  port_ = ntohs(a.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

TestServer::~TestServer() {
  stop();
}

std::string TestServer::host() const {
  return fmt::format("127.0.0.1:{}", port_);
}

void TestServer::stop() {
  if (stopping_.exchange(true)) return;
  // shutdown() wakes a blocked accept() and recv() on Linux.
  ::shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  ::close(listen_fd_);
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    threads = std::move(connections_);
  }
  for (auto& t : threads) t.join();
}

void TestServer::accept_loop() {
  while (!stopping_.load()) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (stopping_.load()) return;
      continue;
    }
    std::lock_guard lock(mu_);
    open_fds_.push_back(fd);
    connections_.emplace_back([this, fd] { serve(fd); });
  }
}

void TestServer::serve(int fd) {
  TestConnection conn(fd, stopping_);
  std::string pending;
  char buf[8192];
  while (!stopping_.load()) {
    // Read one request head (no bodies: clients only GET here).
    http::request_parser<http::empty_body> parser;
    parser.eager(false);
    beast::error_code ec;
    bool done = false;
    while (!done) {
      if (pending.empty()) {
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) goto out;
        pending.assign(buf, static_cast<std::size_t>(n));
      }
      std::size_t used = parser.put(boost::asio::buffer(pending), ec);
      pending.erase(0, used);
      if (ec == http::error::need_more) {
        ec = {};
        if (used == 0) {
          ssize_t n = ::recv(fd, buf, sizeof buf, 0);
          if (n <= 0) goto out;
          pending.append(buf, static_cast<std::size_t>(n));
        }
        continue;
      }
      if (ec) goto out;  // not HTTP (a TLS hello, say): drop it
      done = parser.is_header_done();
    }
    {
      TestRequest req;
      const auto& m = parser.get();
      req.method = str(m.method_string());
      req.target = str(m.target());
      for (const auto& f : m) {
        std::string name = str(f.name_string());
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        req.headers[name] = str(f.value());
      }
      ++requests_;
      if (!handler_(req, conn)) break;
    }
  }
out:
  std::lock_guard lock(mu_);
  ::shutdown(fd, SHUT_RDWR);
  // The fd is closed here and forgotten, so stop() never touches a reused number.
  for (auto it = open_fds_.begin(); it != open_fds_.end(); ++it) {
    if (*it == fd) {
      open_fds_.erase(it);
      break;
    }
  }
  ::close(fd);
}

std::string http_response(unsigned status, const std::string& reason,
                          const std::vector<std::pair<std::string, std::string>>& headers,
                          std::string_view body) {
  std::string out = fmt::format("HTTP/1.1 {} {}\r\n", status, reason);
  bool has_length = false;
  for (const auto& [k, v] : headers) {
    out += fmt::format("{}: {}\r\n", k, v);
    if (k == "Content-Length") has_length = true;
  }
  if (!has_length) out += fmt::format("Content-Length: {}\r\n", body.size());
  out += "\r\n";
  out += body;
  return out;
}

}  // namespace skiff::testing
