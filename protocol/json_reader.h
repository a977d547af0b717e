// Reading untrusted JSON with errors that name the field ("body.tasks[1].taskId: missing").
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/error.h"

namespace skiff::protocol {

// A refused input. `code` is the protocol error code (bad_json, bad_frame, unknown_type, ...).
class ProtocolError : public skiff::Error {
 public:
  ProtocolError(std::string code, const std::string& message)
      : skiff::Error(message), code_(std::move(code)) {}
  const std::string& code() const noexcept { return code_; }

 private:
  std::string code_;
};

// A view of one JSON object plus its path, for field-by-field validation.
class JsonReader {
 public:
  JsonReader(const nlohmann::json& j, std::string path);

  const std::string& path() const { return path_; }
  const nlohmann::json& json() const { return j_; }
  bool has(const char* key) const;

  std::string str(const char* key) const;  // required, non-empty
  std::optional<std::string> opt_str(const char* key) const;
  std::uint64_t u64(const char* key) const;
  std::optional<std::int64_t> opt_i64(const char* key) const;
  const nlohmann::json& object(const char* key) const;                   // required object
  const nlohmann::json& array(const char* key) const;                    // required array
  std::map<std::string, std::string> string_map(const char* key) const;  // optional
  // One of `allowed` (a |-separated list, e.g. "PENDING|RUNNING|STOPPED").
  std::string one_of(const char* key, const char* allowed) const;

  std::string field(const char* key) const;  // "path.key"
  [[noreturn]] void fail(const char* key, const std::string& why) const;

 private:
  const nlohmann::json& j_;
  std::string path_;
};

// Builds a reader, failing if `j` is not an object.
JsonReader object_reader(const nlohmann::json& j, const std::string& path);

}  // namespace skiff::protocol
