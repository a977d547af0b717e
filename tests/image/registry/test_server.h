// A small HTTP/1.1 server on 127.0.0.1 for tests, one thread per connection, whose
// handler writes raw bytes: enough to misbehave on purpose (stall, drop, lie) where a
// real registry cannot, and to serve tokens. Stopping shuts every socket down, which
// also ends handlers that are stalling.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace skiff::testing {

struct TestRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names in lower case

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class TestConnection {
 public:
  explicit TestConnection(int fd, const std::atomic<bool>& stopping)
      : fd_(fd), stopping_(stopping) {}
  // False once the peer is gone.
  bool write(std::string_view data);
  // Sleeps until the server stops (a stalled peer).
  void stall();
  bool stopping() const { return stopping_.load(); }

 private:
  int fd_;
  const std::atomic<bool>& stopping_;
};

class TestServer {
 public:
  // Returns false to close the connection after answering.
  using Handler = std::function<bool(const TestRequest&, TestConnection&)>;

  explicit TestServer(Handler handler);
  ~TestServer();
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  std::string host() const;  // "127.0.0.1:PORT"
  unsigned short port() const { return port_; }
  unsigned requests() const { return requests_.load(); }
  void stop();

 private:
  void accept_loop();
  void serve(int fd);

  Handler handler_;
  int listen_fd_ = -1;
  unsigned short port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<unsigned> requests_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<int> open_fds_;
  std::vector<std::thread> connections_;
};

// "HTTP/1.1 <status> <reason>" + headers + body, with Content-Length.
std::string http_response(unsigned status, const std::string& reason,
                          const std::vector<std::pair<std::string, std::string>>& headers,
                          std::string_view body);

}  // namespace skiff::testing
