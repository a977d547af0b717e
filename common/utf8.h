// Text from outside that is stored and later dumped as JSON (stop reasons, names in
// messages) must be valid UTF-8: nlohmann's dump() throws on anything else, and a task
// whose record cannot be dumped can never be saved again.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace skiff {

// `text` with every byte that does not start a well-formed UTF-8 sequence (overlong forms,
// surrogates and code points above U+10FFFF included) replaced by U+FFFD, cut to at most
// `max_bytes` without splitting a character.
inline std::string valid_utf8(std::string_view text, std::size_t max_bytes = 1024) {
  std::string out;
  out.reserve(text.size() < max_bytes ? text.size() : max_bytes);
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  std::size_t i = 0;
  while (i < text.size()) {
    const unsigned char b = byte(i);
    std::size_t len = 0;
    unsigned lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
    if (b < 0x80) {
      len = 1;
    } else if (b >= 0xC2 && b <= 0xDF) {
      len = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      len = 3;
      if (b == 0xE0) lo = 0xA0;  // no overlong forms
      if (b == 0xED) hi = 0x9F;  // no surrogates
    } else if (b >= 0xF0 && b <= 0xF4) {
      len = 4;
      if (b == 0xF0) lo = 0x90;
      if (b == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
    }
    bool ok = len != 0 && i + len <= text.size();
    for (std::size_t k = 1; ok && k < len; ++k) {
      const unsigned c = byte(i + k);
      ok = k == 1 ? (c >= lo && c <= hi) : (c >= 0x80 && c <= 0xBF);
    }
    const std::string_view piece = ok ? text.substr(i, len) : std::string_view("\xEF\xBF\xBD");
    if (out.size() + piece.size() > max_bytes) break;
    out += piece;
    i += ok ? len : 1;
  }
  return out;
}

}  // namespace skiff
