#include "image/store/digest.h"

#include <fmt/format.h>
#include <openssl/evp.h>

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

EVP_MD_CTX* as_ctx(void* p) {
  return static_cast<EVP_MD_CTX*>(p);
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

void Sha256::CtxDeleter::operator()(void* ctx) const noexcept {
  EVP_MD_CTX_free(as_ctx(ctx));
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(as_ctx(ctx_.get()), EVP_sha256(), nullptr) != 1) {
    throw Error("sha256: cannot initialise OpenSSL digest context");
  }
}

Sha256::~Sha256() = default;

void Sha256::update(const void* data, std::size_t len) {
  if (finished_) throw Error("sha256: update after finish");
  if (len == 0) return;
  if (EVP_DigestUpdate(as_ctx(ctx_.get()), data, len) != 1) throw Error("sha256: update failed");
}

Digest Sha256::finish() {
  if (finished_) throw Error("sha256: finish called twice");
  finished_ = true;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(as_ctx(ctx_.get()), md, &len) != 1 || len != kHexLen / 2) {
    throw Error("sha256: finish failed");
  }
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(kHexLen);
  for (unsigned int i = 0; i < len; ++i) {
    hex.push_back(kDigits[md[i] >> 4]);
    hex.push_back(kDigits[md[i] & 0xf]);
  }
  return Digest(std::move(hex));
}

Digest sha256_of(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.finish();
}

}  // namespace skiff::image
