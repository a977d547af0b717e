#include "common/json_path.h"

#include <exception>

namespace skiff::jsonpath {
namespace {

[[noreturn]] void raise(Fail fail, const std::string& path, const std::string& why) {
  fail(path, why);
  std::terminate();  // a Fail that returns is a bug in its caller
}

std::string range_message(std::int64_t lo, std::int64_t hi, const std::string& got) {
  return "must be " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " + got;
}

}  // namespace

std::string key(const std::string& path, std::string_view name) {
  return path.empty() ? std::string(name) : path + "." + std::string(name);
}

std::string index(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

std::string quoted(std::string_view s) {
  return json(std::string(s)).dump();
}

const json* member(const json& object, std::string_view name) {
  auto it = object.find(name);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

const json& required(const json& object, const std::string& path, std::string_view name,
                     Fail fail) {
  const json* v = member(object, name);
  if (v == nullptr) raise(fail, key(path, name), "is required");
  return *v;
}

void wrong_type(const json& got, const std::string& path, const char* expected, Fail fail) {
  const std::string name = got.is_number_float() ? "a fractional number" : got.type_name();
  raise(fail, path, std::string("expected ") + expected + ", got " + name);
}

const json& object(const json& j, const std::string& path, Fail fail) {
  if (!j.is_object()) wrong_type(j, path, "an object", fail);
  return j;
}

const json& array(const json& j, const std::string& path, Fail fail) {
  if (!j.is_array()) wrong_type(j, path, "an array", fail);
  return j;
}

std::string string(const json& j, const std::string& path, Fail fail) {
  if (!j.is_string()) wrong_type(j, path, "a string", fail);
  return j.get<std::string>();
}

bool boolean(const json& j, const std::string& path, Fail fail) {
  if (!j.is_boolean()) wrong_type(j, path, "a boolean", fail);
  return j.get<bool>();
}

std::int64_t integer(const json& j, const std::string& path, Fail fail, std::int64_t lo,
                     std::int64_t hi) {
  if (!j.is_number_integer()) wrong_type(j, path, "an integer", fail);
  // Above INT64_MAX nlohmann keeps the number unsigned.
  if (j.is_number_unsigned() &&
      j.get<std::uint64_t>() >
          static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    raise(fail, path, "number too large");
  }
  const std::int64_t v = j.get<std::int64_t>();
  if (v < lo || v > hi) raise(fail, path, range_message(lo, hi, std::to_string(v)));
  return v;
}

std::uint64_t unsigned_integer(const json& j, const std::string& path, Fail fail,
                               std::uint64_t hi) {
  if (!j.is_number_integer()) wrong_type(j, path, "a non-negative integer", fail);
  if (!j.is_number_unsigned() && j.get<std::int64_t>() < 0) {
    raise(fail, path, "must not be negative, got " + j.dump());
  }
  const std::uint64_t v = j.get<std::uint64_t>();
  if (v > hi) raise(fail, path, "must be at most " + std::to_string(hi) + ", got " + j.dump());
  return v;
}

std::vector<std::string> strings(const json& j, const std::string& path, Fail fail) {
  array(j, path, fail);
  std::vector<std::string> out;
  out.reserve(j.size());
  for (std::size_t i = 0; i < j.size(); ++i) out.push_back(string(j[i], index(path, i), fail));
  return out;
}

std::map<std::string, std::string> string_map(const json& j, const std::string& path, Fail fail) {
  object(j, path, fail);
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : j.items()) out[name] = string(value, key(path, name), fail);
  return out;
}

}  // namespace skiff::jsonpath
