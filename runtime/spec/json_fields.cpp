#include "runtime/spec/json_fields.h"

#include "common/json_path.h"
#include "runtime/spec/spec.h"

namespace skiff::oci::detail {

// The common readers (common/json_path.h) say it; this layer throws SpecError.
void fail(const std::string& where, const std::string& why) {
  throw SpecError(where.empty() ? why : where + ": " + why);
}

std::string key_path(const std::string& where, std::string_view key) {
  return jsonpath::key(where, key);
}

std::string index_path(const std::string& where, std::size_t index) {
  return jsonpath::index(where, index);
}

std::string in_quotes(std::string_view s) {
  return jsonpath::quoted(s);
}

const json* member(const json& object, std::string_view key) {
  return jsonpath::member(object, key);
}

const json& required(const json& object, const std::string& where, std::string_view key) {
  return jsonpath::required(object, where, key, fail);
}

void expect_object(const json& j, const std::string& where) {
  jsonpath::object(j, where, fail);
}

void expect_array(const json& j, const std::string& where) {
  jsonpath::array(j, where, fail);
}

std::string string_at(const json& j, const std::string& where) {
  return jsonpath::string(j, where, fail);
}

bool bool_at(const json& j, const std::string& where) {
  return jsonpath::boolean(j, where, fail);
}

std::int64_t int_at(const json& j, const std::string& where, std::int64_t lo, std::int64_t hi) {
  return jsonpath::integer(j, where, fail, lo, hi);
}

std::uint64_t uint_at(const json& j, const std::string& where, std::uint64_t hi) {
  return jsonpath::unsigned_integer(j, where, fail, hi);
}

std::uint32_t uint32_at(const json& j, const std::string& where) {
  return static_cast<std::uint32_t>(uint_at(j, where, std::numeric_limits<std::uint32_t>::max()));
}

std::vector<std::string> strings_at(const json& j, const std::string& where) {
  return jsonpath::strings(j, where, fail);
}

std::map<std::string, std::string> string_map_at(const json& j, const std::string& where) {
  return jsonpath::string_map(j, where, fail);
}

std::string absolute_path_at(const json& j, const std::string& where) {
  std::string path = string_at(j, where);
  if (path.empty() || path.front() != '/') {
    fail(where, "must be an absolute path, got " + in_quotes(path));
  }
  return path;
}

std::vector<std::string> absolute_paths_at(const json& j, const std::string& where) {
  expect_array(j, where);
  std::vector<std::string> out;
  out.reserve(j.size());
  for (std::size_t i = 0; i < j.size(); ++i) {
    out.push_back(absolute_path_at(j[i], index_path(where, i)));
  }
  return out;
}

}  // namespace skiff::oci::detail
