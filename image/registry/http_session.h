// One HTTP/1.1 connection (plain or TLS) to one origin, used by one thread at a time,
// on Boost.Beast. Every network step has a deadline: connecting and the TLS handshake
// get the connect timeout, and each read or write gets the idle timeout, so a peer that
// stops sending fails with a clear error instead of hanging. Bodies are read in pieces
// by the caller, so nothing large is ever buffered here.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"

namespace skiff::image {

// A failure worth retrying: refused/reset connections, timeouts, truncated bodies.
class NetworkError : public Error {
 public:
  using Error::Error;
};

struct Url {
  bool https = true;
  std::string host;  // without IPv6 brackets
  std::string port;
  std::string target = "/";  // path and query

  // "http[s]://host[:port][/path]"; throws skiff::Error naming the text.
  static Url parse(std::string_view text);
  // Resolves a Location header against this URL (absolute URL or absolute path).
  Url resolve(std::string_view location) const;
  // "host:port" as written in URLs (brackets for IPv6); default ports omitted.
  std::string authority() const;
  std::string origin() const { return (https ? "https://" : "http://") + authority(); }
  std::string str() const { return origin() + target; }
};

struct HttpSettings {
  bool verify_tls = true;
  std::filesystem::path ca_file;  // extra trusted CA (PEM), on top of the system ones
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds idle_timeout{30000};
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  unsigned status = 0;
  std::string reason;
  HeaderList headers;  // names in lower case, in order received
  std::optional<std::uint64_t> content_length;

  // First value of `name` (lower case), or empty.
  std::string header(std::string_view name) const;
  std::vector<std::string> all(std::string_view name) const;
};

class HttpSession {
 public:
  HttpSession(bool https, std::string host, std::string port, HttpSettings settings);
  ~HttpSession();
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  // Sends a GET (connecting or reconnecting as needed) and reads the response head. A
  // body left unread by the previous request costs a reconnect.
  HttpResponse get(const std::string& target, const HeaderList& headers);
  // Reads the next piece of the body into buf; 0 at its end. NetworkError if the peer
  // closes early or goes idle.
  std::size_t read_body(char* buf, std::size_t n);
  // The whole body, refusing more than `max` bytes (an Error naming `what`).
  std::string read_body_all(std::size_t max, std::string_view what);
  // Forgets the connection; the next get() opens a new one.
  void close() noexcept;

  std::string origin() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace skiff::image
