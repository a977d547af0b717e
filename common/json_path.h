// Reading untrusted JSON one field at a time, with the field's path in every error:
// "containerDefinitions[0].memory: expected an integer, got string". The OCI spec, the task
// definition and the protocol frames all read this way, and say it in the same words; each
// passes its own Fail, which throws that layer's error type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace skiff::jsonpath {

using json = nlohmann::json;

// Throws "path: why" as the caller's error type. If it returns, std::terminate is called.
using Fail = void (*)(const std::string& path, const std::string& why);

// "linux" + "seccomp" -> "linux.seccomp"; "" + "root" -> "root".
std::string key(const std::string& path, std::string_view name);
// "mounts" + 3 -> "mounts[3]".
std::string index(const std::string& path, std::size_t i);
// A value as JSON writes it, so names in messages are quoted and escaped: "CAP_FOO".
std::string quoted(std::string_view s);

// A member of an object; null counts as absent, as Go's omitempty writers and ECS's
// printers treat it.
const json* member(const json& object, std::string_view name);
// A member that must be there: "root.path: is required".
const json& required(const json& object, const std::string& path, std::string_view name, Fail fail);

// "expected an integer, got string" (a fraction is named as one: nlohmann calls both
// kinds of number "number").
[[noreturn]] void wrong_type(const json& got, const std::string& path, const char* expected,
                             Fail fail);

const json& object(const json& j, const std::string& path, Fail fail);
const json& array(const json& j, const std::string& path, Fail fail);
std::string string(const json& j, const std::string& path, Fail fail);
bool boolean(const json& j, const std::string& path, Fail fail);
// An integer within [lo, hi]: "must be 1..10, got 0"; above INT64_MAX: "number too large".
std::int64_t integer(const json& j, const std::string& path, Fail fail,
                     std::int64_t lo = std::numeric_limits<std::int64_t>::min(),
                     std::int64_t hi = std::numeric_limits<std::int64_t>::max());
// "must not be negative, got -1", "must be at most 5, got 6".
std::uint64_t unsigned_integer(const json& j, const std::string& path, Fail fail,
                               std::uint64_t hi = std::numeric_limits<std::uint64_t>::max());
std::vector<std::string> strings(const json& j, const std::string& path, Fail fail);
std::map<std::string, std::string> string_map(const json& j, const std::string& path, Fail fail);

}  // namespace skiff::jsonpath
