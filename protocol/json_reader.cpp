#include "protocol/json_reader.h"

#include <sstream>

namespace skiff::protocol {

JsonReader::JsonReader(const nlohmann::json& j, std::string path) : j_(j), path_(std::move(path)) {}

JsonReader object_reader(const nlohmann::json& j, const std::string& path) {
  if (!j.is_object()) {
    throw ProtocolError("bad_frame", (path.empty() ? std::string("value") : path) +
                                         ": expected an object, got " + j.type_name());
  }
  return JsonReader(j, path);
}

std::string JsonReader::field(const char* key) const {
  return path_.empty() ? std::string(key) : path_ + "." + key;
}

void JsonReader::fail(const char* key, const std::string& why) const {
  throw ProtocolError("bad_frame", field(key) + ": " + why);
}

bool JsonReader::has(const char* key) const {
  return j_.contains(key) && !j_.at(key).is_null();
}

std::string JsonReader::str(const char* key) const {
  if (!has(key)) fail(key, "missing");
  const auto& v = j_.at(key);
  if (!v.is_string()) fail(key, std::string("expected a string, got ") + v.type_name());
  auto s = v.get<std::string>();
  if (s.empty()) fail(key, "must not be empty");
  return s;
}

std::optional<std::string> JsonReader::opt_str(const char* key) const {
  if (!has(key)) return std::nullopt;
  const auto& v = j_.at(key);
  if (!v.is_string()) fail(key, std::string("expected a string, got ") + v.type_name());
  return v.get<std::string>();
}

std::uint64_t JsonReader::u64(const char* key) const {
  if (!has(key)) fail(key, "missing");
  const auto& v = j_.at(key);
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer() && v.get<std::int64_t>() >= 0) {
    return static_cast<std::uint64_t>(v.get<std::int64_t>());
  }
  fail(key, std::string("expected a non-negative integer, got ") +
                (v.is_number() ? v.dump() : std::string(v.type_name())));
}

std::optional<std::int64_t> JsonReader::opt_i64(const char* key) const {
  if (!has(key)) return std::nullopt;
  const auto& v = j_.at(key);
  if (v.is_number_integer()) return v.get<std::int64_t>();
  fail(key, std::string("expected an integer, got ") + v.type_name());
}

const nlohmann::json& JsonReader::object(const char* key) const {
  if (!has(key)) fail(key, "missing");
  const auto& v = j_.at(key);
  if (!v.is_object()) fail(key, std::string("expected an object, got ") + v.type_name());
  return v;
}

const nlohmann::json& JsonReader::array(const char* key) const {
  if (!has(key)) fail(key, "missing");
  const auto& v = j_.at(key);
  if (!v.is_array()) fail(key, std::string("expected an array, got ") + v.type_name());
  return v;
}

std::map<std::string, std::string> JsonReader::string_map(const char* key) const {
  std::map<std::string, std::string> out;
  if (!has(key)) return out;
  const auto& v = j_.at(key);
  if (!v.is_object()) fail(key, std::string("expected an object, got ") + v.type_name());
  for (const auto& [k, val] : v.items()) {
    if (!val.is_string()) fail(key, "value of '" + k + "' is not a string");
    out[k] = val.get<std::string>();
  }
  return out;
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
