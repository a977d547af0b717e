#include "image/registry/http_session.h"

#include <fmt/format.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <limits>

namespace skiff::image {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string str(beast::string_view s) {
  return std::string(s.data(), s.size());
}

bool is_ip(const std::string& host) {
  beast::error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

// ---- Url -------------------------------------------------------------------------------

Url Url::parse(std::string_view text) {
  Url u;
  std::string_view rest = text;
  if (rest.substr(0, 8) == "https://") {
    rest.remove_prefix(8);
  } else if (rest.substr(0, 7) == "http://") {
    u.https = false;
    rest.remove_prefix(7);
  } else {
    throw Error(fmt::format("URL \"{}\": must start with http:// or https://", text));
  }
  auto slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    u.target = std::string(rest.substr(slash));
    if (u.target[0] == '?') u.target = "/" + u.target;
  }
  if (authority.empty()) throw Error(fmt::format("URL \"{}\": no host", text));
  if (authority.find('@') != std::string_view::npos) {
    throw Error(fmt::format("URL \"{}\": user info in URLs is not supported", text));
  }
  if (authority[0] == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) throw Error(fmt::format("URL \"{}\": unclosed [", text));
    u.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (!authority.empty() && authority[0] == ':') u.port = std::string(authority.substr(1));
  } else {
    auto colon = authority.rfind(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) u.port = std::string(authority.substr(colon + 1));
  }
  if (u.port.empty()) u.port = u.https ? "443" : "80";
  for (char c : u.port) {
    if (!std::isdigit(static_cast<unsigned char>(c)) || u.port.size() > 5) {
      throw Error(fmt::format("URL \"{}\": bad port \"{}\"", text, u.port));
    }
  }
  if (u.host.empty()) throw Error(fmt::format("URL \"{}\": no host", text));
  return u;
}

Url Url::resolve(std::string_view location) const {
  if (location.substr(0, 7) == "http://" || location.substr(0, 8) == "https://") {
    return parse(location);
  }
  if (location.empty() || location[0] != '/') {
    throw Error(fmt::format("redirect from {} to \"{}\": only absolute locations are followed",
                            str(), location));
  }
  Url u = *this;
  u.target = std::string(location);
  return u;
}

std::string Url::authority() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  bool default_port = (https && port == "443") || (!https && port == "80");
  return default_port ? h : h + ":" + port;
}

// ---- HttpResponse ----------------------------------------------------------------------

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return {};
}

std::vector<std::string> HttpResponse::all(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : headers) {
    if (k == name) out.push_back(v);
  }
  return out;
}

// ---- HttpSession -----------------------------------------------------------------------

constexpr std::size_t kReadSize = 64 * 1024;

struct HttpSession::Impl {
  Url origin;
  HttpSettings settings;
  net::io_context ioc;
  std::optional<ssl::context> tls_ctx;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  std::optional<http::response_parser<http::buffer_body>> parser;
  bool connected = false;
  std::uint64_t body_read = 0;

  std::string where() const { return origin.authority(); }

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }

  template <class F>
  void with_stream(F&& f) {
    if (tls) {
      f(*tls);
    } else {
      f(*plain);
    }
  }

  // Runs the queued operation to completion; tcp_stream's expiry bounds it.
  void drive() {
    ioc.restart();
    ioc.run();
  }

  void make_tls_context() {
    tls_ctx.emplace(ssl::context::tls_client);
    tls_ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                         ssl::context::no_tlsv1_1);
    if (!settings.verify_tls) {
      tls_ctx->set_verify_mode(ssl::verify_none);
      return;
    }
    tls_ctx->set_default_verify_paths();
    if (!settings.ca_file.empty()) {
      beast::error_code ec;
      tls_ctx->load_verify_file(settings.ca_file.string(), ec);
      if (ec) {
        throw Error(fmt::format("CA file {}: {}", settings.ca_file.string(), ec.message()));
      }
    }
    tls_ctx->set_verify_mode(ssl::verify_peer);
  }

  void close() noexcept {
    parser.reset();
    tls.reset();
    plain.reset();
    buffer.clear();
    // Beast sizes each socket read by the buffer's free capacity (at least 512 bytes):
    // without room, bodies would arrive in tiny pieces, one write(2) each.
    buffer.reserve(kReadSize);
    connected = false;
  }

  void connect() {
    close();
    tcp::resolver resolver(ioc);
    beast::error_code ec = net::error::would_block;
    tcp::resolver::results_type results;
    resolver.async_resolve(origin.host, origin.port,
                           [&](beast::error_code e, tcp::resolver::results_type r) {
                             ec = e;
                             results = std::move(r);
                           });
    ioc.restart();
    ioc.run_for(settings.connect_timeout);
    if (ec == net::error::would_block) {
      resolver.cancel();
      drive();
      throw NetworkError(fmt::format("resolve {}: timed out after {} ms", origin.host,
                                     settings.connect_timeout.count()));
    }
    if (ec) throw NetworkError(fmt::format("resolve {}: {}", origin.host, ec.message()));

    if (origin.https) {
      if (!tls_ctx) make_tls_context();
      tls.emplace(ioc, *tls_ctx);
      SSL* s = tls->native_handle();
      if (!is_ip(origin.host)) {
        // SSL_set_tlsext_host_name is a macro with a C cast; this is what it expands to.
        SSL_ctrl(s, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 const_cast<char*>(origin.host.c_str()));
      }
      if (settings.verify_tls) {
        X509_VERIFY_PARAM* param = SSL_get0_param(s);
        int ok = is_ip(origin.host) ? X509_VERIFY_PARAM_set1_ip_asc(param, origin.host.c_str())
                                    : X509_VERIFY_PARAM_set1_host(param, origin.host.c_str(), 0);
        if (ok != 1) throw Error(fmt::format("TLS: cannot check the name {}", origin.host));
      }
    } else {
      plain.emplace(ioc);
    }

    lowest().expires_after(settings.connect_timeout);
    ec = net::error::would_block;
    lowest().async_connect(results, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
    drive();
    if (ec == beast::error::timeout) {
      close();
      throw NetworkError(fmt::format("connect to {}: timed out after {} ms", where(),
                                     settings.connect_timeout.count()));
    }
    if (ec) {
      close();
      throw NetworkError(fmt::format("connect to {}: {}", where(), ec.message()));
    }
    if (tls) {
      lowest().expires_after(settings.connect_timeout);
      ec = net::error::would_block;
      tls->async_handshake(ssl::stream_base::client, [&](beast::error_code e) { ec = e; });
      drive();
      if (ec) {
        long verify = SSL_get_verify_result(tls->native_handle());
        bool is_tls_error = ec.category() == net::error::get_ssl_category();
        std::string why =
            ec == beast::error::timeout
                ? fmt::format("timed out after {} ms", settings.connect_timeout.count())
                : ec.message();
        if (verify != X509_V_OK) {
          why = fmt::format(
              "certificate verify failed: {} (give the registry's CA with a CA "
              "file, or list it as insecure)",
              X509_verify_cert_error_string(verify));
        }
        close();
        std::string msg = fmt::format("TLS handshake with {}: {}", where(), why);
        // A peer that breaks TLS is not going to fix itself on a retry.
        if (is_tls_error) throw Error(msg);
        throw NetworkError(msg);
      }
    }
    connected = true;
  }

  HttpResponse exchange(const std::string& target, const HeaderList& headers) {
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, origin.authority());
    req.set(http::field::user_agent, "skiff/0.1");
    for (const auto& [k, v] : headers) req.set(k, v);

    beast::error_code ec = net::error::would_block;
    lowest().expires_after(settings.idle_timeout);
    with_stream([&](auto& s) {
      http::async_write(s, req, [&](beast::error_code e, std::size_t) { ec = e; });
    });
    drive();
    if (ec) throw_io("send request to", ec);

    parser.emplace();
    parser->body_limit((std::numeric_limits<std::uint64_t>::max)());
    ec = net::error::would_block;
    lowest().expires_after(settings.idle_timeout);
    with_stream([&](auto& s) {
      http::async_read_header(s, buffer, *parser,
                              [&](beast::error_code e, std::size_t) { ec = e; });
    });
    drive();
    if (ec) throw_io("read response from", ec);

    const auto& msg = parser->get();
    HttpResponse r;
    r.status = msg.result_int();
    r.reason = str(msg.reason());
    for (const auto& f : msg) r.headers.emplace_back(lower(str(f.name_string())), str(f.value()));
    if (auto len = parser->content_length()) r.content_length = *len;
    body_read = 0;
    if (parser->is_done() && !parser->keep_alive()) {
      parser.reset();
      close();
    }
    return r;
  }

  [[noreturn]] void throw_io(std::string_view what, beast::error_code ec) {
    close();
    if (ec == beast::error::timeout) {
      throw NetworkError(
          fmt::format("{} {}: no data for {} ms", what, where(), settings.idle_timeout.count()));
    }
    throw NetworkError(fmt::format("{} {}: {}", what, where(), ec.message()));
  }

  std::size_t read_body(char* buf, std::size_t n) {
    if (!parser || parser->is_done() || n == 0) return 0;
    while (true) {
      auto& body = parser->get().body();
      body.data = buf;
      body.size = n;
      beast::error_code ec = net::error::would_block;
      lowest().expires_after(settings.idle_timeout);
      with_stream([&](auto& s) {
        http::async_read_some(s, buffer, *parser,
                              [&](beast::error_code e, std::size_t) { ec = e; });
      });
      drive();
      std::size_t got = n - parser->get().body().size;
      if (ec == http::error::need_buffer) ec = {};
      if (ec) {
        std::uint64_t before = body_read + got;
        close();
        if (ec == beast::error::timeout) {
          throw NetworkError(
              fmt::format("read body from {}: no data for {} ms (stalled after {} bytes)", where(),
                          settings.idle_timeout.count(), before));
        }
        throw NetworkError(fmt::format("read body from {}: connection lost after {} bytes ({})",
                                       where(), before, ec.message()));
      }
      body_read += got;
      if (parser->is_done()) {
        bool keep = parser->keep_alive();
        parser.reset();
        if (!keep) close();
        return got;
      }
      if (got > 0) return got;
    }
  }
};

HttpSession::HttpSession(bool https, std::string host, std::string port, HttpSettings settings)
    : impl_(std::make_unique<Impl>()) {
  impl_->origin.https = https;
  impl_->origin.host = std::move(host);
  impl_->origin.port = std::move(port);
  impl_->settings = std::move(settings);
}

HttpSession::~HttpSession() = default;

std::string HttpSession::origin() const {
  return impl_->origin.origin();
}

HttpResponse HttpSession::get(const std::string& target, const HeaderList& headers) {
  Impl& i = *impl_;
  // An unread body would be parsed as the next response: start afresh instead.
  if (i.parser) i.close();
  bool reused = i.connected;
  if (!i.connected) i.connect();
  try {
    return i.exchange(target, headers);
  } catch (const NetworkError&) {
    // The server may have closed an idle keep-alive connection; one fresh try.
    if (!reused) throw;
  }
  i.connect();
  return i.exchange(target, headers);
}

std::size_t HttpSession::read_body(char* buf, std::size_t n) {
  return impl_->read_body(buf, n);
}

std::string HttpSession::read_body_all(std::size_t max, std::string_view what) {
  std::string out;
  char buf[16384];
  while (std::size_t n = read_body(buf, sizeof buf)) {
    if (out.size() + n > max) {
      close();
      throw Error(fmt::format("{}: larger than {} bytes; refused", what, max));
    }
    out.append(buf, n);
  }
  return out;
}

void HttpSession::close() noexcept {
  impl_->close();
}

}  // namespace skiff::image
