#include "runtime/spec/json_fields.h"

#include "runtime/spec/spec.h"

namespace skiff::oci::detail {

namespace {

// "expected a string, got number"
[[noreturn]] void wrong_type(const json& j, const std::string& where, const char* expected) {
  fail(where, std::string("expected ") + expected + ", got " + j.type_name());
}

}  // namespace

void fail(const std::string& where, const std::string& why) {
  throw SpecError(where.empty() ? why : where + ": " + why);
}

std::string key_path(const std::string& where, std::string_view key) {
  return where.empty() ? std::string(key) : where + "." + std::string(key);
}

std::string index_path(const std::string& where, std::size_t index) {
  return where + "[" + std::to_string(index) + "]";
}

std::string in_quotes(std::string_view s) {
  return json(std::string(s)).dump();
}

const json* member(const json& object, std::string_view key) {
  auto it = object.find(key);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

const json& required(const json& object, const std::string& where, std::string_view key) {
  const json* v = member(object, key);
  if (v == nullptr) fail(key_path(where, key), "is required");
  return *v;
}

void expect_object(const json& j, const std::string& where) {
  if (!j.is_object()) wrong_type(j, where, "an object");
}

void expect_array(const json& j, const std::string& where) {
  if (!j.is_array()) wrong_type(j, where, "an array");
}

std::string string_at(const json& j, const std::string& where) {
  if (!j.is_string()) wrong_type(j, where, "a string");
  return j.get<std::string>();
}

bool bool_at(const json& j, const std::string& where) {
  if (!j.is_boolean()) wrong_type(j, where, "a boolean");
  return j.get<bool>();
}

std::int64_t int_at(const json& j, const std::string& where, std::int64_t lo, std::int64_t hi) {
  if (!j.is_number_integer()) wrong_type(j, where, "an integer");
  // Above INT64_MAX nlohmann keeps it unsigned; that is out of any signed range we take.
  if (j.is_number_unsigned() &&
      j.get<std::uint64_t>() >
          static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    fail(where, "must be " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " + j.dump());
  }
  std::int64_t v = j.get<std::int64_t>();
  if (v < lo || v > hi) {
    fail(where, "must be " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " +
                    std::to_string(v));
  }
  return v;
}

std::uint64_t uint_at(const json& j, const std::string& where, std::uint64_t hi) {
  if (!j.is_number_integer()) wrong_type(j, where, "a non-negative integer");
  if (!j.is_number_unsigned() && j.get<std::int64_t>() < 0) {
    fail(where, "must not be negative, got " + j.dump());
  }
  std::uint64_t v = j.get<std::uint64_t>();
  if (v > hi) fail(where, "must be at most " + std::to_string(hi) + ", got " + std::to_string(v));
  return v;
}

std::uint32_t uint32_at(const json& j, const std::string& where) {
  return static_cast<std::uint32_t>(uint_at(j, where, std::numeric_limits<std::uint32_t>::max()));
}

std::vector<std::string> strings_at(const json& j, const std::string& where) {
  expect_array(j, where);
  std::vector<std::string> out;
  out.reserve(j.size());
  for (std::size_t i = 0; i < j.size(); ++i) out.push_back(string_at(j[i], index_path(where, i)));
  return out;
}

std::map<std::string, std::string> string_map_at(const json& j, const std::string& where) {
  expect_object(j, where);
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : j.items()) out[key] = string_at(value, key_path(where, key));
  return out;
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
