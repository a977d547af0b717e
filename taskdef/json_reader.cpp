#include "taskdef/json_reader.h"

#include <algorithm>

#include "common/error.h"
#include "common/json_path.h"

namespace skiff::taskdef::detail {

void fail(const std::string& path, const std::string& message) {
  throw Error(path + ": " + message);
}

// The common readers (common/json_path.h) say it; this layer throws skiff::Error.
void wrong_type(const std::string& path, const char* expected, const json& got) {
  jsonpath::wrong_type(got, path, expected, fail);
}

std::string at_index(const std::string& path, std::size_t i) {
  return jsonpath::index(path, i);
}

std::string at_key(const std::string& path, const std::string& key) {
  return jsonpath::key(path, key);
}

std::string as_string(const json& j, const std::string& path) {
  return jsonpath::string(j, path, fail);
}

bool as_bool(const json& j, const std::string& path) {
  return jsonpath::boolean(j, path, fail);
}

std::int64_t as_int(const json& j, const std::string& path) {
  return jsonpath::integer(j, path, fail);
}

std::int64_t as_int_in(const json& j, const std::string& path, std::int64_t lo, std::int64_t hi) {
  return jsonpath::integer(j, path, fail, lo, hi);
}

std::vector<std::string> as_string_list(const json& j, const std::string& path) {
  return jsonpath::strings(j, path, fail);
}

const json& as_array(const json& j, const std::string& path) {
  return jsonpath::array(j, path, fail);
}

const json& as_object(const json& j, const std::string& path) {
  return jsonpath::object(j, path, fail);
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
  return jsonpath::member(object_, key);
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
