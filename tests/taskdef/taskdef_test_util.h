// Shared helpers: a minimal valid task definition to mutate, and error capture.
#pragma once

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "common/error.h"
#include "taskdef/task_definition.h"

namespace skiff::taskdef::test {

using json = nlohmann::json;

inline json minimal() {
  return json::parse(R"({
    "family": "t",
    "networkMode": "host",
    "containerDefinitions": [
      {"name": "app", "image": "busybox", "memory": 64}
    ]
  })");
}

inline TaskDefinition parse(const json& j, const ParseOptions& options = {}) {
  return parse_task_definition(j.dump(), "td.json", options);
}

// The error message without the "td.json: " prefix, or "(no error)".
inline std::string error_of(const json& j) {
  try {
    parse(j);
  } catch (const Error& e) {
    std::string m = e.what();
    const std::string prefix = "td.json: ";
    return m.rfind(prefix, 0) == 0 ? m.substr(prefix.size()) : m;
  }
  return "(no error)";
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error("cannot open " + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace skiff::taskdef::test
