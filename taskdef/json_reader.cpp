#include "taskdef/json_reader.h"

#include <algorithm>

#include "common/error.h"

namespace skiff::taskdef::detail {

void fail(const std::string& path, const std::string& message) {
  throw Error(path + ": " + message);
}

void wrong_type(const std::string& path, const char* expected, const json& got) {
  // nlohmann calls integers and floats alike "number"; say which one we saw.
  std::string name = got.type_name();
  if (got.is_number_float()) name = "a fractional number";
  fail(path, std::string("expected ") + expected + ", got " + name);
}

std::string at_index(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

std::string at_key(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string as_string(const json& j, const std::string& path) {
  if (!j.is_string()) wrong_type(path, "a string", j);
  return j.get<std::string>();
}

bool as_bool(const json& j, const std::string& path) {
  if (!j.is_boolean()) wrong_type(path, "a boolean", j);
  return j.get<bool>();
}

std::int64_t as_int(const json& j, const std::string& path) {
  if (j.is_number_unsigned()) {
    const auto v = j.get<std::uint64_t>();
    if (v > static_cast<std::uint64_t>(INT64_MAX)) fail(path, "number too large");
    return static_cast<std::int64_t>(v);
  }
  if (!j.is_number_integer()) wrong_type(path, "an integer", j);
  return j.get<std::int64_t>();
}

std::int64_t as_int_in(const json& j, const std::string& path, std::int64_t lo, std::int64_t hi) {
  const std::int64_t v = as_int(j, path);
  if (v < lo || v > hi) {
    fail(path, "must be " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " +
                   std::to_string(v));
  }
  return v;
}

std::vector<std::string> as_string_list(const json& j, const std::string& path) {
  const json& a = as_array(j, path);
  std::vector<std::string> out;
  out.reserve(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) out.push_back(as_string(a[i], at_index(path, i)));
  return out;
}

const json& as_array(const json& j, const std::string& path) {
  if (!j.is_array()) wrong_type(path, "an array", j);
  return j;
}

const json& as_object(const json& j, const std::string& path) {
  if (!j.is_object()) wrong_type(path, "an object", j);
  return j;
}

bool is_empty_value(const json& j) {
  if (j.is_null()) return true;
  if (j.is_boolean()) return !j.get<bool>();
  if (j.is_string() || j.is_array() || j.is_object()) return j.empty();
  return false;
}

ObjectReader::ObjectReader(const json& object, std::string path, EcsObject kind,
                           Unsupported& unsupported)
    : object_(as_object(object, path.empty() ? "(document)" : path)),
      path_(std::move(path)),
      kind_(kind),
      unsupported_(unsupported) {}

const json* ObjectReader::get(const std::string& key) {
  seen_.insert(key);
  auto it = object_.find(key);
  if (it == object_.end() || it->is_null()) return nullptr;
  return &*it;
}

const json& ObjectReader::require(const std::string& key) {
  const json* v = get(key);
  if (v == nullptr) fail(path_of(key), "is required");
  return *v;
}

void ObjectReader::ignore(std::initializer_list<const char*> keys) {
  for (const char* k : keys) seen_.insert(k);
}

namespace {

// A member name as it may appear in a message: the sender chose it, of any length.
std::string shown_name(const std::string& name) {
  constexpr std::size_t kMaxBytes = 80;
  if (name.size() <= kMaxBytes) return name;
  std::size_t cut = kMaxBytes;
  // Never split a UTF-8 sequence: messages are dumped as JSON.
  while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) --cut;
  return name.substr(0, cut) + "...";
}

}  // namespace

void ObjectReader::finish() {
  const auto names = ecs_members(kind_);
  for (auto it = object_.begin(); it != object_.end(); ++it) {
    if (seen_.contains(it.key())) continue;
    if (std::find(names.begin(), names.end(), it.key()) == names.end()) {
      const std::string near = nearest_member(it.key(), names);
      fail(path_of(shown_name(it.key())),
           "is not a field of an ECS task definition" +
               (near.empty() ? std::string() : " (did you mean \"" + near + "\"?)"));
    }
    if (is_empty_value(it.value())) continue;
    unsupported_.push_back(path_of(it.key()));
  }
}

}  // namespace skiff::taskdef::detail
