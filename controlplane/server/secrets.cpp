#include "controlplane/server/secrets.h"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <vector>

#include "common/error.h"

namespace skiff::cp {

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1) {
    throw Error("RAND_bytes failed");
  }
  std::string out;
  out.reserve(bytes * 2);
  for (unsigned char c : buf) out += fmt::format("{:02x}", c);
  return out;
}

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1) {
    throw Error("sha256 failed");
  }
  std::string out;
  for (unsigned int i = 0; i < len; ++i) out += fmt::format("{:02x}", md[i]);
  return out;
}

std::string salted_hash(std::string_view salt, std::string_view secret) {
  std::string buf(salt);
  buf += secret;
  return sha256_hex(buf);
}

bool verify_secret(std::string_view salt, std::string_view secret, std::string_view expected) {
  const auto got = salted_hash(salt, secret);
  return got.size() == expected.size() &&
         CRYPTO_memcmp(got.data(), expected.data(), got.size()) == 0;
}

}  // namespace skiff::cp
