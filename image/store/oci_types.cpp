#include "image/store/oci_types.h"

#include <fmt/format.h>

#include "common/error.h"
#include "common/json_parse.h"

namespace skiff::image {

using nlohmann::json;

bool is_index_type(std::string_view t) {
  return t == media_type::kOciIndex || t == media_type::kDockerList;
}
bool is_manifest_type(std::string_view t) {
  return t == media_type::kOciManifest || t == media_type::kDockerManifest;
}
bool is_schema1_type(std::string_view t) {
  return t == media_type::kDockerSchema1 || t == media_type::kDockerSchema1Signed;
}

namespace {

[[noreturn]] void fail(std::string_view where, const std::string& path, std::string_view why) {
  throw Error(fmt::format("{}: {}: {}", where, path.empty() ? "(document)" : path, why));
}

std::string join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
}

const json& member(const json& obj, std::string_view where, const std::string& path,
                   const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) fail(where, join(path, key), "missing");
  return *it;
}

std::string string_field(const json& obj, std::string_view where, const std::string& path,
                         const char* key) {
  const json& v = member(obj, where, path, key);
  if (!v.is_string()) fail(where, join(path, key), "must be a string");
  return v.get<std::string>();
}

std::string optional_string(const json& obj, std::string_view where, const std::string& path,
                            const char* key) {
  if (!obj.contains(key)) return {};
  return string_field(obj, where, path, key);
}

json parse_object(std::string_view body, std::string_view where) {
  json doc = skiff::parse_json_or_discarded(body);
  if (doc.is_discarded()) fail(where, "", "not valid JSON");
  if (!doc.is_object()) fail(where, "", "must be a JSON object");
  return doc;
}

// Checks schemaVersion 2 and a mediaType consistent with the referrer; refuses schema1.
std::string check_header(const json& doc, std::string_view where, std::string_view declared,
                         bool (*accepted)(std::string_view), const char* kind) {
  std::string media = optional_string(doc, where, "", "mediaType");
  if (is_schema1_type(media) || is_schema1_type(declared) ||
      (doc.contains("schemaVersion") && doc["schemaVersion"] == 1)) {
    fail(where, "",
         "Docker schema1 manifests are not supported (deprecated format); "
         "re-push the image with a current registry or tool");
  }
  const json& version = member(doc, where, "", "schemaVersion");
  if (!version.is_number_integer() || version.get<std::int64_t>() != 2) {
    fail(where, "schemaVersion", "must be 2");
  }
  if (!media.empty() && !accepted(media)) {
    fail(where, "mediaType", fmt::format("\"{}\" is not an {}", media, kind));
  }
  if (!media.empty() && !declared.empty() && media != declared) {
    fail(where, "mediaType",
         fmt::format("\"{}\" does not match the referring descriptor's \"{}\"", media, declared));
  }
  return media.empty() ? std::string(declared) : media;
}

}  // namespace

Descriptor parse_descriptor(const json& j, std::string_view where, const std::string& path) {
  if (!j.is_object()) fail(where, path, "must be an object");
  std::string digest_text = string_field(j, where, path, "digest");
  if (std::string why = Digest::problem(digest_text); !why.empty()) {
    fail(where, join(path, "digest"), "not a sha256 digest (" + why + ")");
  }
  const json& size = member(j, where, path, "size");
  if (!size.is_number_integer() ||
      (size.is_number_integer() && !size.is_number_unsigned() && size.get<std::int64_t>() < 0)) {
    fail(where, join(path, "size"), "must be a non-negative integer");
  }
  Descriptor d{
      .media_type = string_field(j, where, path, "mediaType"),
      .digest = Digest::parse(digest_text),
      .size = size.get<std::uint64_t>(),
  };
  if (auto it = j.find("annotations"); it != j.end()) {
    if (!it->is_object()) fail(where, join(path, "annotations"), "must be an object");
    for (const auto& [key, value] : it->items()) {
      if (!value.is_string()) {
        fail(where, join(path, "annotations." + key), "must be a string");
      }
      d.annotations[key] = value.get<std::string>();
    }
  }
  if (auto it = j.find("platform"); it != j.end()) {
    if (!it->is_object()) fail(where, join(path, "platform"), "must be an object");
    d.platform = *it;
  }
  return d;
}

json Descriptor::to_json() const {
  json j = {{"mediaType", media_type}, {"digest", digest.str()}, {"size", size}};
  if (!annotations.empty()) j["annotations"] = annotations;
  if (!platform.is_null()) j["platform"] = platform;
  return j;
}

Manifest parse_manifest(std::string_view body, std::string_view where, std::string_view declared) {
  json doc = parse_object(body, where);
  Manifest m{
      .media_type = check_header(doc, where, declared, is_manifest_type, "image manifest"),
      .config = parse_descriptor(member(doc, where, "", "config"), where, "config"),
  };
  const json& layers = member(doc, where, "", "layers");
  if (!layers.is_array()) fail(where, "layers", "must be an array");
  for (std::size_t i = 0; i < layers.size(); ++i) {
    m.layers.push_back(parse_descriptor(layers[i], where, fmt::format("layers[{}]", i)));
  }
  return m;
}

Index parse_index(std::string_view body, std::string_view where, std::string_view declared) {
  json doc = parse_object(body, where);
  Index idx{.media_type = check_header(doc, where, declared, is_index_type, "image index")};
  const json& manifests = member(doc, where, "", "manifests");
  if (!manifests.is_array()) fail(where, "manifests", "must be an array");
  for (std::size_t i = 0; i < manifests.size(); ++i) {
    idx.manifests.push_back(parse_descriptor(manifests[i], where, fmt::format("manifests[{}]", i)));
  }
  return idx;
}

}  // namespace skiff::image
