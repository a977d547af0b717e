// Image references: "[host[:port]/]repo[:tag][@sha256:...]", normalised the way Docker
// does it ("busybox" -> docker.io/library/busybox:latest, served by registry-1.docker.io).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "image/store/digest.h"

namespace skiff::image {

struct ImageRef {
  std::string domain;      // as named: "docker.io", "127.0.0.1:5000", "localhost"
  std::string repository;  // "library/busybox", "demo/app"
  std::string tag;         // "latest" when neither tag nor digest was given
  std::optional<Digest> digest;

  // Parses and normalises `text`; throws skiff::Error naming the reference and the part
  // that is wrong.
  static ImageRef parse(std::string_view text);

  // host[:port] to connect to: docker.io is served by registry-1.docker.io.
  std::string endpoint() const;
  // "domain/repository[:tag][@digest]"
  std::string str() const;
  // What to ask the manifests endpoint for: the digest if given, else the tag.
  std::string manifest_reference() const;
};

// Registry host names in auth files and option lists may be spelled several ways for
// Docker Hub; this maps them all to "docker.io" and leaves the rest unchanged.
std::string canonical_registry(std::string_view host);

}  // namespace skiff::image
