#include "image/registry/credentials.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/file_io.h"
#include "common/json_parse.h"
#include "image/registry/reference.h"

namespace skiff::image {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// "https://index.docker.io/v1/" -> "docker.io"; "http://h:5000/v2" -> "h:5000".
std::string key_host(std::string_view key) {
  if (auto p = key.find("://"); p != std::string_view::npos) key = key.substr(p + 3);
  if (auto p = key.find('/'); p != std::string_view::npos) key = key.substr(0, p);
  return canonical_registry(key);
}

std::string base64_decode(std::string_view in, const fs::path& file, std::string_view key) {
  std::string s;
  for (char c : in) {
    if (c != '\n' && c != '\r' && c != ' ') s += c;
  }
  auto bad = [&] {
    return Error(fmt::format("{}: auths[\"{}\"].auth: not valid base64", file.string(), key));
  };
  if (s.size() % 4 != 0) throw bad();
  std::string out(s.size() / 4 * 3, '\0');
  int n =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  if (n < 0) throw bad();
  // EVP_DecodeBlock counts padding as data bytes.
  std::size_t len = static_cast<std::size_t>(n);
  for (std::size_t i = s.size(); i > 0 && s[i - 1] == '=' && len > 0; --i) --len;
  out.resize(len);
  return out;
}

}  // namespace

std::vector<fs::path> default_auth_files() {
  std::vector<fs::path> files;
  if (const char* f = std::getenv("REGISTRY_AUTH_FILE"); f && *f) files.emplace_back(f);
  if (const char* x = std::getenv("XDG_RUNTIME_DIR"); x && *x) {
    files.push_back(fs::path(x) / "containers" / "auth.json");
  }
  if (const char* h = std::getenv("HOME"); h && *h) {
    files.push_back(fs::path(h) / ".docker" / "config.json");
  }
  return files;
}

std::optional<Credentials> credentials_from_file(const fs::path& file, std::string_view registry) {
  std::error_code ec;
  if (!fs::exists(file, ec)) return std::nullopt;
  std::string text = read_file(file);
  json doc = skiff::parse_json_or_discarded(text);
  if (doc.is_discarded() || !doc.is_object()) {
    throw Error(fmt::format("{}: not a JSON object", file.string()));
  }
  auto auths = doc.find("auths");
  if (auths == doc.end()) return std::nullopt;
  if (!auths->is_object()) throw Error(fmt::format("{}: auths: must be an object", file.string()));
  std::string want = canonical_registry(registry);
  for (const auto& item : auths->items()) {
    // Named references, not a structured binding: clang 14 cannot capture those in a lambda.
    const std::string& key = item.key();
    const json& entry = item.value();
    if (key_host(key) != want) continue;
    if (!entry.is_object()) {
      throw Error(fmt::format("{}: auths[\"{}\"]: must be an object", file.string(), key));
    }
    auto str = [&](const char* name) -> std::string {
      auto it = entry.find(name);
      if (it == entry.end()) return {};
      if (!it->is_string()) {
        throw Error(
            fmt::format("{}: auths[\"{}\"].{}: must be a string", file.string(), key, name));
      }
      return it->get<std::string>();
    };
    Credentials c;
    if (std::string auth = str("auth"); !auth.empty()) {
      std::string plain = base64_decode(auth, file, key);
      auto colon = plain.find(':');
      if (colon == std::string::npos) {
        throw Error(
            fmt::format("{}: auths[\"{}\"].auth: not base64 of user:password", file.string(), key));
      }
      c.username = plain.substr(0, colon);
      c.password = plain.substr(colon + 1);
    } else {
      c.username = str("username");
      c.password = str("password");
    }
    if (c.username.empty() && c.password.empty()) continue;  // e.g. a credHelper stub
    return c;
  }
  return std::nullopt;
}

std::optional<Credentials> find_credentials(const fs::path& explicit_file,
                                            std::string_view registry) {
  if (!explicit_file.empty()) {
    std::error_code ec;
    if (!fs::exists(explicit_file, ec)) {
      throw Error(fmt::format("auth file {}: does not exist", explicit_file.string()));
    }
    return credentials_from_file(explicit_file, registry);
  }
  for (const fs::path& f : default_auth_files()) {
    if (auto c = credentials_from_file(f, registry)) return c;
  }
  return std::nullopt;
}

}  // namespace skiff::image
