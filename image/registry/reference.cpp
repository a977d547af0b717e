#include "image/registry/reference.h"

#include <fmt/format.h>

#include <regex>

#include "common/error.h"

namespace skiff::image {

namespace {

constexpr std::string_view kDockerHub = "docker.io";

[[noreturn]] void refuse(std::string_view text, std::string_view why) {
  throw Error(fmt::format("image reference \"{}\": {}", text, why));
}

// A path component: lowercase alphanumerics joined by ".", "_", "__" or runs of "-"
// (distribution's reference grammar).
bool valid_component(const std::string& c) {
  static const std::regex re("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
  return std::regex_match(c, re);
}

bool valid_tag(const std::string& t) {
  static const std::regex re("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
  return std::regex_match(t, re);
}

bool valid_domain(const std::string& d) {
  static const std::regex re(
      "(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
      "|\\[[0-9A-Fa-f:.]+\\])(?::[0-9]{1,5})?");
  return std::regex_match(d, re);
}

// The first component names a registry only if it looks like a host: Docker's rule.
bool looks_like_domain(std::string_view first) {
  return first.find('.') != std::string_view::npos || first.find(':') != std::string_view::npos ||
         first == "localhost" || first.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != first.npos;
}

}  // namespace

std::string canonical_registry(std::string_view host) {
  if (host == "index.docker.io" || host == "registry-1.docker.io" || host == "docker.io" ||
      host == "registry.hub.docker.com") {
    return std::string(kDockerHub);
  }
  return std::string(host);
}

ImageRef ImageRef::parse(std::string_view text) {
  if (text.empty()) refuse(text, "empty");
  if (text.size() > 4096) refuse(text.substr(0, 64), "longer than 4096 characters");
  ImageRef ref;
  std::string_view rest = text;
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string problem = Digest::problem(rest.substr(at + 1));
    if (!problem.empty()) refuse(text, fmt::format("digest: {}", problem));
    ref.digest = Digest::parse(rest.substr(at + 1));
    rest = rest.substr(0, at);
  }
  // A ':' after the last '/' starts the tag; one before it is a port.
  auto slash = rest.rfind('/');
  auto colon = rest.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    ref.tag = std::string(rest.substr(colon + 1));
    if (!valid_tag(ref.tag)) {
      refuse(text,
             fmt::format("tag \"{}\": must match [A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}}", ref.tag));
    }
    rest = rest.substr(0, colon);
  }
  std::string_view name = rest;
  auto first_slash = name.find('/');
  if (first_slash != std::string_view::npos && looks_like_domain(name.substr(0, first_slash))) {
    ref.domain = std::string(name.substr(0, first_slash));
    name = name.substr(first_slash + 1);
    if (!valid_domain(ref.domain))
      refuse(text, fmt::format("registry \"{}\": not a host[:port]", ref.domain));
  } else {
    ref.domain = std::string(kDockerHub);
  }
  ref.domain = canonical_registry(ref.domain);
  if (name.empty()) refuse(text, "no repository name");
  std::string repo(name);
  std::size_t start = 0;
  while (true) {
    auto end = repo.find('/', start);
    std::string comp =
        repo.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!valid_component(comp)) {
      refuse(text, fmt::format("repository component \"{}\": must be lowercase letters and digits "
                               "separated by '.', '_', '__' or '-'",
                               comp));
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  if (ref.domain == kDockerHub && repo.find('/') == std::string::npos) repo = "library/" + repo;
  if (ref.domain.size() + 1 + repo.size() > 255) refuse(text, "name longer than 255 characters");
  ref.repository = std::move(repo);
  if (ref.tag.empty() && !ref.digest) ref.tag = "latest";
  return ref;
}

std::string ImageRef::endpoint() const {
  return domain == kDockerHub ? "registry-1.docker.io" : domain;
}

std::string ImageRef::str() const {
  std::string s = domain + "/" + repository;
  if (!tag.empty()) s += ":" + tag;
  if (digest) s += "@" + digest->str();
  return s;
}

std::string ImageRef::manifest_reference() const {
  return digest ? digest->str() : tag;
}

}  // namespace skiff::image
