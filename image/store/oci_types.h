// OCI descriptors, manifests and indexes (also Docker schema2, whose JSON is the same
// shape), parsed from untrusted JSON. Errors name the JSON path and where the document
// came from: "index.json: manifests[0].digest: not a sha256 digest (...)".
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "image/store/digest.h"

namespace skiff::image {

namespace media_type {
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kDockerList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerSchema1 =
    "application/vnd.docker.distribution.manifest.v1+json";
inline constexpr std::string_view kDockerSchema1Signed =
    "application/vnd.docker.distribution.manifest.v1+prettyjws";
}  // namespace media_type

inline constexpr std::string_view kRefNameAnnotation = "org.opencontainers.image.ref.name";
// Manifests and indexes are read into memory; no real one comes near this.
inline constexpr std::uint64_t kMaxManifestSize = 4 * 1024 * 1024;

bool is_index_type(std::string_view media_type);
bool is_manifest_type(std::string_view media_type);
bool is_schema1_type(std::string_view media_type);

struct Descriptor {
  std::string media_type;
  Digest digest;
  std::uint64_t size = 0;
  std::map<std::string, std::string> annotations;
  nlohmann::json platform;  // kept as given (null if absent); only copied through

  nlohmann::json to_json() const;
};

struct Manifest {
  std::string media_type;  // may be empty: OCI makes the field optional
  Descriptor config;
  std::vector<Descriptor> layers;
};

struct Index {
  std::string media_type;
  std::vector<Descriptor> manifests;
};

// `where` names the document for error messages (a file or a blob digest). `path` is the
// JSON path of `j` inside it ("" for the document root).
Descriptor parse_descriptor(const nlohmann::json& j, std::string_view where,
                            const std::string& path);
// `declared` is the media type the referring descriptor gave, checked against the body.
Manifest parse_manifest(std::string_view body, std::string_view where,
                        std::string_view declared = {});
Index parse_index(std::string_view body, std::string_view where, std::string_view declared = {});

}  // namespace skiff::image
