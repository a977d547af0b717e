// Typed getters over nlohmann::json for the spec parsers. Each takes the field's JSON path
// ("process.args[2]") and throws SpecError starting with it, so every parser reports
// errors the same way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace skiff::oci::detail {

using nlohmann::json;

[[noreturn]] void fail(const std::string& where, const std::string& why);

// "linux" + "seccomp" -> "linux.seccomp"; "" + "root" -> "root".
std::string key_path(const std::string& where, std::string_view key);
// "mounts" + 3 -> "mounts[3]".
std::string index_path(const std::string& where, std::size_t index);
// A value as JSON writes it, so names in messages are quoted and escaped: "CAP_FOO".
std::string in_quotes(std::string_view s);

// A member of an object; null counts as absent, as Go's omitempty writers treat it.
const json* member(const json& object, std::string_view key);
// A member that must be there: "root.path: is required".
const json& required(const json& object, const std::string& where, std::string_view key);

void expect_object(const json& j, const std::string& where);
void expect_array(const json& j, const std::string& where);
std::string string_at(const json& j, const std::string& where);
bool bool_at(const json& j, const std::string& where);
std::int64_t int_at(const json& j, const std::string& where,
                    std::int64_t lo = std::numeric_limits<std::int64_t>::min(),
                    std::int64_t hi = std::numeric_limits<std::int64_t>::max());
std::uint64_t uint_at(const json& j, const std::string& where,
                      std::uint64_t hi = std::numeric_limits<std::uint64_t>::max());
std::uint32_t uint32_at(const json& j, const std::string& where);
std::vector<std::string> strings_at(const json& j, const std::string& where);
std::map<std::string, std::string> string_map_at(const json& j, const std::string& where);
// A string that must be an absolute path: `must be an absolute path, got "tmp"`.
std::string absolute_path_at(const json& j, const std::string& where);
std::vector<std::string> absolute_paths_at(const json& j, const std::string& where);

}  // namespace skiff::oci::detail
