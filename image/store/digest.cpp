#include "image/store/digest.h"

#include <fmt/format.h>
#include <nettle/sha2.h>

#include "common/error.h"

namespace skiff::image {

namespace {

constexpr std::string_view kPrefix = "sha256:";
constexpr std::size_t kHexLen = 64;

// Digests come from untrusted JSON; quote at most a short prefix of them in messages.
std::string quoted(std::string_view text) {
  constexpr std::size_t kMax = 80;
  if (text.size() <= kMax) return fmt::format("\"{}\"", text);
  return fmt::format("\"{}...\"", text.substr(0, kMax));
}

}  // namespace

std::string Digest::problem(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos) return "missing \"algorithm:\" prefix";
  std::string_view algorithm = text.substr(0, colon);
  if (algorithm != "sha256") {
    return fmt::format("unsupported algorithm {} (only sha256 is accepted)", quoted(algorithm));
  }
  std::string_view hex = text.substr(kPrefix.size());
  if (hex.size() != kHexLen) {
    return fmt::format("sha256 hex must be {} characters, got {}", kHexLen, hex.size());
  }
  for (char c : hex) {
    bool lower_hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    if (!lower_hex) return "sha256 hex must be lowercase hexadecimal";
  }
  return {};
}

Digest Digest::parse(std::string_view text) {
  if (std::string why = problem(text); !why.empty()) {
    throw Error(fmt::format("invalid digest {}: {}", quoted(text), why));
  }
  return Digest(std::string(text.substr(kPrefix.size())));
}

Sha256::Sha256() : ctx_(std::make_unique<::sha256_ctx>()) {
  sha256_init(ctx_.get());
}

Sha256::~Sha256() = default;

void Sha256::update(const void* data, std::size_t len) {
  if (finished_) throw Error("sha256: update after finish");
  if (len == 0) return;
  sha256_update(ctx_.get(), len, static_cast<const std::uint8_t*>(data));
}

Digest Sha256::finish() {
  if (finished_) throw Error("sha256: finish called twice");
  finished_ = true;
  std::uint8_t md[SHA256_DIGEST_SIZE];
  sha256_digest(ctx_.get(), sizeof md, md);
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(kHexLen);
  for (std::uint8_t b : md) {
    hex.push_back(kDigits[b >> 4]);
    hex.push_back(kDigits[b & 0xf]);
  }
  return Digest(std::move(hex));
}

Digest sha256_of(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.finish();
}

}  // namespace skiff::image
