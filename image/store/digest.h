// Content digests ("sha256:<64 lowercase hex>") and a streaming SHA-256 hasher.
//
// A Digest can only be built by parsing or hashing, and parsing accepts exactly the
// canonical sha256 form. That is what makes it safe to use the hex as a file name in the
// content store: a Digest never holds "..", "/", or anything else than 64 hex digits.
#pragma once

#include <compare>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

struct sha256_ctx;  // nettle/sha2.h

namespace skiff::image {

class Digest {
 public:
  // Throws skiff::Error naming the offending text and why it was refused.
  static Digest parse(std::string_view text);
  // Same checks; returns the reason for refusal, or an empty string if `text` is valid.
  static std::string problem(std::string_view text);

  const std::string& hex() const noexcept { return hex_; }
  std::string str() const { return "sha256:" + hex_; }

  auto operator<=>(const Digest&) const = default;

 private:
  friend class Sha256;
  explicit Digest(std::string hex) : hex_(std::move(hex)) {}
  std::string hex_;
};

// Incremental SHA-256 (nettle), so blobs hash while they stream. nettle rather than
// OpenSSL's EVP: it needs no library context or provider set-up, which in OpenSSL 3
// touches about 2 MiB of libcrypto in every process that hashes once (the agent hashes
// ChainIDs on each container start).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const void* data, std::size_t len);
  void update(std::string_view data) { update(data.data(), data.size()); }
  // Ends the stream; the hasher must not be used afterwards.
  Digest finish();

 private:
  std::unique_ptr<::sha256_ctx> ctx_;
  bool finished_ = false;
};

Digest sha256_of(std::string_view data);

}  // namespace skiff::image
