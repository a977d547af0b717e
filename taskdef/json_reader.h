// Reading one JSON object with paths in every error, and remembering which members were
// not understood (for the single "unsupported fields" warning).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "taskdef/ecs_schema.h"

namespace skiff::taskdef::detail {

using json = nlohmann::json;

// Paths of members we ignored although they carry a value.
using Unsupported = std::vector<std::string>;

[[noreturn]] void fail(const std::string& path, const std::string& message);

// "expected an integer, got string"
[[noreturn]] void wrong_type(const std::string& path, const char* expected, const json& got);

std::string at_index(const std::string& path, std::size_t i);
std::string at_key(const std::string& path, const std::string& key);

std::string as_string(const json& j, const std::string& path);
bool as_bool(const json& j, const std::string& path);
std::int64_t as_int(const json& j, const std::string& path);
// An integer within [lo, hi]; the message names the range: "must be 1..10, got 0".
std::int64_t as_int_in(const json& j, const std::string& path, std::int64_t lo, std::int64_t hi);
std::vector<std::string> as_string_list(const json& j, const std::string& path);
const json& as_array(const json& j, const std::string& path);
const json& as_object(const json& j, const std::string& path);

// True for values that say nothing (null, "", false, [], {}): ECS prints many unused
// members that way, and ignoring them changes nothing.
bool is_empty_value(const json& j);

// Reads one object of ECS kind `kind`: a member outside that kind's schema is refused in
// finish(), naming the nearest valid name.
class ObjectReader {
 public:
  ObjectReader(const json& object, std::string path, EcsObject kind, Unsupported& unsupported);
  ObjectReader(const ObjectReader&) = delete;
  ObjectReader& operator=(const ObjectReader&) = delete;

  const std::string& path() const { return path_; }
  std::string path_of(const std::string& key) const { return at_key(path_, key); }

  // The member, or nullptr when absent or null. Marks it as understood.
  const json* get(const std::string& key);
  const json& require(const std::string& key);
  // Members accepted without effect (read-only fields ECS prints, IAM roles, ...).
  void ignore(std::initializer_list<const char*> keys);
  // A member that ECS does not define throws; every other member neither read nor ignored,
  // with a value, goes to `unsupported`.
  void finish();

 private:
  const json& object_;
  std::string path_;
  EcsObject kind_;
  Unsupported& unsupported_;
  std::set<std::string> seen_;
};

}  // namespace skiff::taskdef::detail
