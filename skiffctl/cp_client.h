// skiffctl's side of the control plane's admin API (docs/protocol.md, "Admin API"): HTTPS
// pinned to the control plane's own CA (never the system store), a bearer admin token,
// JSON in and out. Errors say which endpoint, which request and what the control plane
// answered.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/error.h"
#include "protocol/tls/https_client.h"
#include "skiffctl/global_options.h"

namespace skiff::ctl {

struct Endpoint {
  std::string host;  // an IP address (brackets stripped for IPv6)
  std::uint16_t port = 8443;
  std::string url;  // as the user should see it: https://HOST:PORT
};

// "https://127.0.0.1:8443" (trailing '/' allowed, port defaults to 8443). Throws
// skiff::Error naming --endpoint for anything else, including plain http://.
Endpoint parse_endpoint(const std::string& url);

// The control plane answered with an error: {"error": CODE, "message": TEXT}.
class CpApiError : public Error {
 public:
  CpApiError(const std::string& context, unsigned status, nlohmann::json body);

  unsigned status() const noexcept { return status_; }
  // The control plane's answer, or {"error":"http_STATUS","message":RAW} if it was not JSON.
  const nlohmann::json& body() const noexcept { return body_; }
  // "HTTP 400 bad_request: containerDefinitions: missing or empty", without the context.
  std::string summary() const;

 private:
  unsigned status_;
  nlohmann::json body_;
};

class CpClient {
 public:
  // Reads the endpoint, CA and admin token from `g` and the environment; throws
  // skiff::Error saying which option is missing or unreadable.
  static CpClient from(const GlobalOptions& g);

  // One request. A status >= 300 throws CpApiError "METHOD TARGET: HTTP ..."; no answer
  // at all throws skiff::Error naming the endpoint (TLS failures say so and name the CA).
  nlohmann::json call(const std::string& method, const std::string& target,
                      const nlohmann::json& body = nullptr) const;

  const Endpoint& endpoint() const { return endpoint_; }

 private:
  CpClient(Endpoint endpoint, std::string ca_file, std::string token);

  Endpoint endpoint_;
  std::string ca_file_;
  tls::HttpsClient http_;
};

// "/v1/COLLECTION/ID" + rest with the id percent-encoded: api_path("clusters", c, "/tasks").
std::string api_path(std::string_view collection, const std::string& id,
                     std::string_view rest = "");

// Percent-encodes a path segment or query value (ids and names are plain, but a typo
// with '/' or '?' must not reach another route).
std::string url_segment(const std::string& s);

}  // namespace skiff::ctl
