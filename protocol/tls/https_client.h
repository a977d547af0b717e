// A small synchronous HTTPS client pinned to one CA (never the system store): the agent's
// one-off POST /v1/register, skiffctl's control plane commands, tests and the load generator.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace skiff::tls {

struct HttpsResult {
  unsigned status = 0;
  nlohmann::json body;  // null if the body was not JSON
  std::string raw;
};

class HttpsClient {
 public:
  HttpsClient(std::string host, std::uint16_t port, std::string ca_file, std::string bearer = "");

  HttpsResult request(const std::string& method, const std::string& target,
                      const nlohmann::json& body = nullptr) const;
  // Sends `raw_body` as is (for hostile-input tests).
  HttpsResult request_raw(const std::string& method, const std::string& target,
                          const std::string& raw_body) const;

  // request() that throws skiff::Error unless the status is 2xx.
  nlohmann::json call(const std::string& method, const std::string& target,
                      const nlohmann::json& body = nullptr) const;

 private:
  std::string host_;
  std::uint16_t port_;
  std::string ca_file_;
  std::string bearer_;
};

}  // namespace skiff::tls
