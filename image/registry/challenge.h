// WWW-Authenticate challenges (RFC 7235) as registries send them:
//   Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a:pull"
//   Basic realm="basic-realm"
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace skiff::image {

struct Challenge {
  std::string scheme;                         // lower case: "bearer", "basic"
  std::map<std::string, std::string> params;  // keys lower case, values unquoted

  std::string param(const std::string& key) const {
    auto it = params.find(key);
    return it == params.end() ? std::string() : it->second;
  }
};

// Parses one header value, which may hold several challenges. Malformed input yields
// what could be parsed; it never throws.
std::vector<Challenge> parse_challenges(std::string_view header);

// Percent-encoding for query values (RFC 3986 unreserved characters kept).
std::string url_encode(std::string_view s);
std::string base64_encode(std::string_view s);

}  // namespace skiff::image
