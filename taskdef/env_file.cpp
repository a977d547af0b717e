// environmentFiles: the format ECS documents (Docker's --env-file without the
// "NAME alone copies the host's value" rule, which makes no sense for an agent).
#include <cctype>

#include "common/error.h"
#include "taskdef/task_definition.h"

namespace skiff::taskdef {
namespace {

bool valid_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == '\0') return false;
  }
  return true;
}

}  // namespace

std::vector<EnvVar> parse_env_file(std::string_view text, std::string_view source) {
  std::vector<EnvVar> out;
  std::size_t line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::size_t first = 0;
    while (first < line.size() && std::isspace(static_cast<unsigned char>(line[first]))) ++first;
    line.remove_prefix(first);
    if (line.empty() || line.front() == '#') continue;
    const auto where = std::string(source) + ":" + std::to_string(line_no) + ": ";
    const std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      throw Error(where + "expected NAME=VALUE, got \"" + std::string(line) + "\"");
    }
    const std::string_view name = line.substr(0, eq);
    if (!valid_name(name)) {
      throw Error(where + "invalid variable name \"" + std::string(name) + "\"");
    }
    const std::string_view value = line.substr(eq + 1);
    if (value.find('\0') != std::string_view::npos) {
      throw Error(where + "value of " + std::string(name) + " contains a NUL byte");
    }
    out.push_back({std::string(name), std::string(value)});
  }
  return out;
}

}  // namespace skiff::taskdef
