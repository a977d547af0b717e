#include "image/registry/challenge.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <cctype>

namespace skiff::image {

namespace {

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~/").find(c) != std::string_view::npos;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}
  bool done() const { return i_ >= s_.size(); }
  char peek() const { return done() ? '\0' : s_[i_]; }
  void skip_space() {
    while (!done() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
  }
  bool eat(char c) {
    skip_space();
    if (peek() != c) return false;
    ++i_;
    return true;
  }
  std::string token() {
    skip_space();
    std::size_t start = i_;
    while (!done() && (is_token_char(s_[i_]) || s_[i_] == '=')) {
      // '=' belongs to a token only as token68 padding at its end, not as "key=".
      if (s_[i_] == '=' && i_ + 1 < s_.size() && s_[i_ + 1] != '=' && s_[i_ + 1] != ',' &&
          s_[i_ + 1] != ' ') {
        break;
      }
      ++i_;
    }
    return std::string(s_.substr(start, i_ - start));
  }
  std::string quoted() {
    std::string out;
    ++i_;  // opening quote
    while (!done() && s_[i_] != '"') {
      if (s_[i_] == '\\' && i_ + 1 < s_.size()) ++i_;
      out += s_[i_++];
    }
    if (!done()) ++i_;
    return out;
  }
  // An unquoted value: registries put ':' and '/' in them, which RFC tokens lack.
  std::string bare() {
    std::size_t start = i_;
    while (!done() && s_[i_] != ',' && s_[i_] != ' ' && s_[i_] != '\t') ++i_;
    return std::string(s_.substr(start, i_ - start));
  }
  std::size_t pos() const { return i_; }
  void seek(std::size_t p) { i_ = p; }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

}  // namespace

std::vector<Challenge> parse_challenges(std::string_view header) {
  std::vector<Challenge> out;
  Scanner sc(header);
  while (!sc.done()) {
    while (sc.eat(',')) {
    }
    std::string scheme = sc.token();
    if (scheme.empty()) break;
    Challenge ch{lower(scheme), {}};
    // Parameters: key=value pairs separated by commas, until the next scheme.
    while (true) {
      std::size_t mark = sc.pos();
      while (sc.eat(',')) {
      }
      std::string key = sc.token();
      if (key.empty() || !sc.eat('=')) {
        sc.seek(mark);
        break;
      }
      sc.skip_space();
      std::string value = sc.peek() == '"' ? sc.quoted() : sc.bare();
      ch.params[lower(key)] = value;
    }
    out.push_back(std::move(ch));
    sc.skip_space();
    if (!sc.done() && sc.peek() != ',' && !is_token_char(sc.peek())) break;
  }
  return out;
}

std::string url_encode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string base64_encode(std::string_view s) {
  std::string out(4 * ((s.size() + 2) / 3) + 1, '\0');
  int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

}  // namespace skiff::image
