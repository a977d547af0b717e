// Splitting a request target ("/v1/tasks/abc/logs?follow=1&tail=10") into decoded path
// segments and query parameters. Beast parses the request line; Boost 1.74 has no URL
// library, so this small part is ours.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace skiff::agent {

struct HttpTarget {
  std::vector<std::string> segments;  // percent-decoded, empty segments dropped
  std::map<std::string, std::string, std::less<>> query;

  // Query value or nullopt.
  std::optional<std::string> param(std::string_view name) const;
  // "1", "true", "yes" (and a bare "?follow") are true; absent is false.
  bool flag(std::string_view name) const;
};

// Throws skiff::Error for a malformed percent escape or a target not starting with '/'.
HttpTarget parse_target(std::string_view target);

// Percent-encodes everything outside RFC 3986's unreserved set (for clients).
std::string url_encode(std::string_view s);

}  // namespace skiff::agent
