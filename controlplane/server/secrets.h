// Random identifiers and secrets, and their salted hashes (docs/protocol.md, "Tokens").
#pragma once

#include <string>
#include <string_view>

namespace skiff::cp {

std::string random_hex(std::size_t bytes);  // from OpenSSL's RAND_bytes
std::string sha256_hex(std::string_view data);
std::string salted_hash(std::string_view salt, std::string_view secret);
// Constant-time comparison of salted_hash(salt, secret) with `expected`.
bool verify_secret(std::string_view salt, std::string_view secret, std::string_view expected);

}  // namespace skiff::cp
