#include "skiffctl/cp_client.h"

#include <fmt/format.h>
#include <unistd.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/system/system_error.hpp>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/file_io.h"

namespace skiff::ctl {

namespace {

using nlohmann::json;

[[noreturn]] void bad_endpoint(const std::string& url, const std::string& why) {
  throw Error(fmt::format("--endpoint '{}': {} (expected https://HOST:PORT)", url, why));
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// Reads the admin token: --admin-token-file / SKIFF_ADMIN_TOKEN_FILE first, else
// SKIFF_ADMIN_TOKEN. Never a flag: arguments are visible to every user in `ps`.
std::string admin_token(const GlobalOptions& g) {
  std::string token;
  if (!g.admin_token_file.empty()) {
    try {
      token = trim(read_file(g.admin_token_file));
    } catch (const Error& e) {
      throw Error(fmt::format("--admin-token-file: {}", e.what()));
    }
    if (token.empty()) throw Error("--admin-token-file " + g.admin_token_file + ": empty");
    return token;
  }
  token = trim(env("SKIFF_ADMIN_TOKEN"));
  if (token.empty()) {
    throw Error(
        "no admin token: pass --admin-token-file DATA/admin.token (or SKIFF_ADMIN_TOKEN_FILE), "
        "or set SKIFF_ADMIN_TOKEN");
  }
  return token;
}

std::string api_summary(unsigned status, const json& body) {
  auto text = [&](const char* key) {
    return body.contains(key) && body[key].is_string() ? body[key].get<std::string>() : "";
  };
  std::string s = fmt::format("HTTP {} {}: {}", status, text("error"), text("message"));
  if (status == 401) s += " (check --admin-token-file / SKIFF_ADMIN_TOKEN)";
  return s;
}

bool is_tls_error(const boost::system::error_code& ec) {
  return ec.category() == boost::asio::error::get_ssl_category() ||
         ec.category() == boost::asio::ssl::error::get_stream_category();
}

}  // namespace

Endpoint parse_endpoint(const std::string& url) {
  constexpr std::string_view kScheme = "https://";
  if (url.empty()) {
    throw Error(
        "no control plane endpoint: pass --endpoint https://HOST:PORT or set SKIFF_ENDPOINT");
  }
  if (url.rfind(kScheme, 0) != 0) bad_endpoint(url, "the admin API is HTTPS only");
  std::string rest = url.substr(kScheme.size());
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.find('/') != std::string::npos) bad_endpoint(url, "no path expected");
  Endpoint ep;
  std::string port;
  if (!rest.empty() && rest.front() == '[') {  // [IPv6]:PORT
    const auto close = rest.find(']');
    if (close == std::string::npos) bad_endpoint(url, "unclosed '['");
    ep.host = rest.substr(1, close - 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') bad_endpoint(url, "expected ':' after ']'");
      port = rest.substr(close + 2);
    }
  } else {
    const auto colon = rest.rfind(':');
    ep.host = rest.substr(0, colon);
    if (colon != std::string::npos) port = rest.substr(colon + 1);
  }
  if (ep.host.empty()) bad_endpoint(url, "no host");
  if (!port.empty()) {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(port) == 0 || std::stoul(port) > 65535) {
      bad_endpoint(url, "port must be 1-65535");
    }
    ep.port = static_cast<std::uint16_t>(std::stoul(port));
  }
  const bool v6 = ep.host.find(':') != std::string::npos;
  ep.url = fmt::format("https://{}{}{}:{}", v6 ? "[" : "", ep.host, v6 ? "]" : "", ep.port);
  return ep;
}

CpApiError::CpApiError(const std::string& context, unsigned status, json body)
    : Error(context + ": " + api_summary(status, body)), status_(status), body_(std::move(body)) {}

std::string CpApiError::summary() const {
  return api_summary(status_, body_);
}

CpClient CpClient::from(const GlobalOptions& g) {
  Endpoint ep = parse_endpoint(g.endpoint);
  if (g.ca_file.empty()) {
    throw Error(
        "no CA to pin: pass --ca DATA/certs/ca.pem (the control plane's CA) or set "
        "SKIFF_CA_FILE");
  }
  if (::access(g.ca_file.c_str(), R_OK) != 0) {
    const int err = errno;
    throw Error(fmt::format("--ca {}: {}", g.ca_file, std::strerror(err)));
  }
  return CpClient(std::move(ep), g.ca_file, admin_token(g));
}

CpClient::CpClient(Endpoint endpoint, std::string ca_file, std::string token)
    : endpoint_(std::move(endpoint)),
      ca_file_(std::move(ca_file)),
      http_(endpoint_.host, endpoint_.port, ca_file_, std::move(token)) {}

json CpClient::call(const std::string& method, const std::string& target, const json& body) const {
  tls::HttpsResult r;
  try {
    r = http_.request(method, target, body);
  } catch (const boost::system::system_error& e) {
    if (is_tls_error(e.code())) {
      throw Error(fmt::format("TLS with {} failed: {} (is --ca {} the control plane's CA?)",
                              endpoint_.url, e.what(), ca_file_));
    }
    throw Error(fmt::format("cannot reach the control plane at {}: {}", endpoint_.url, e.what()));
  }
  if (r.status >= 300) {
    json err = r.body.is_object() ? r.body
                                  : json{{"error", fmt::format("http_{}", r.status)},
                                         {"message", r.raw.substr(0, 200)}};
    throw CpApiError(method + " " + target, r.status, std::move(err));
  }
  if (!r.body.is_object()) {  // every admin answer is an object; commands rely on it
    throw Error(fmt::format("{} {}: HTTP {}: the answer is not a JSON object: {}", method, target,
                            r.status, r.raw.substr(0, 200)));
  }
  return r.body;
}

std::string api_path(std::string_view collection, const std::string& id, std::string_view rest) {
  return fmt::format("/v1/{}/{}{}", collection, url_segment(id), rest);
}

std::string url_segment(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ':') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

}  // namespace skiff::ctl
