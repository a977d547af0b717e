// Standalone mode's source of desired state: every *.json file in a directory.
#pragma once

#include <filesystem>
#include <map>
#include <string>

namespace skiff::agent {

// Absolute file path -> contents. Files that cannot be read are skipped with a warning;
// a missing directory is an empty set.
std::map<std::string, std::string> read_tasks_dir(const std::filesystem::path& dir);

}  // namespace skiff::agent
