#include "protocol/json_reader.h"

#include <sstream>

#include "common/json_path.h"

namespace skiff::protocol {
namespace {

// The common readers (common/json_path.h) say it; this layer throws ProtocolError.
void bad_frame(const std::string& path, const std::string& why) {
  throw ProtocolError("bad_frame", (path.empty() ? std::string("value") : path) + ": " + why);
}

}  // namespace

JsonReader::JsonReader(const nlohmann::json& j, std::string path) : j_(j), path_(std::move(path)) {}

JsonReader object_reader(const nlohmann::json& j, const std::string& path) {
  jsonpath::object(j, path, bad_frame);
  return JsonReader(j, path);
}

std::string JsonReader::field(const char* key) const {
  return jsonpath::key(path_, key);
}

void JsonReader::fail(const char* key, const std::string& why) const {
  bad_frame(field(key), why);
  std::terminate();  // bad_frame always throws
}

bool JsonReader::has(const char* key) const {
  return jsonpath::member(j_, key) != nullptr;
}

std::string JsonReader::str(const char* key) const {
  if (!has(key)) fail(key, "missing");
  auto s = jsonpath::string(j_.at(key), field(key), bad_frame);
  if (s.empty()) fail(key, "must not be empty");
  return s;
}

std::optional<std::string> JsonReader::opt_str(const char* key) const {
  if (!has(key)) return std::nullopt;
  return jsonpath::string(j_.at(key), field(key), bad_frame);
}

std::uint64_t JsonReader::u64(const char* key) const {
  if (!has(key)) fail(key, "missing");
  return jsonpath::unsigned_integer(j_.at(key), field(key), bad_frame);
}

std::optional<std::int64_t> JsonReader::opt_i64(const char* key) const {
  if (!has(key)) return std::nullopt;
  return jsonpath::integer(j_.at(key), field(key), bad_frame);
}

const nlohmann::json& JsonReader::object(const char* key) const {
  if (!has(key)) fail(key, "missing");
  return jsonpath::object(j_.at(key), field(key), bad_frame);
}

const nlohmann::json& JsonReader::array(const char* key) const {
  if (!has(key)) fail(key, "missing");
  return jsonpath::array(j_.at(key), field(key), bad_frame);
}

std::map<std::string, std::string> JsonReader::string_map(const char* key) const {
  if (!has(key)) return {};
  return jsonpath::string_map(j_.at(key), field(key), bad_frame);
}

std::string JsonReader::one_of(const char* key, const char* allowed) const {
  auto s = str(key);
  std::stringstream ss(allowed);
  std::string item;
  while (std::getline(ss, item, '|')) {
    if (item == s) return s;
  }
  fail(key, "'" + s + "' is not one of " + allowed);
}

}  // namespace skiff::protocol
