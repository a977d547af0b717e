#include "agent/main/tasks_dir.h"

#include <spdlog/spdlog.h>

#include "common/file_io.h"

namespace skiff::agent {

std::map<std::string, std::string> read_tasks_dir(const std::filesystem::path& dir) {
  std::map<std::string, std::string> files;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const auto& p = entry.path();
    if (p.extension() != ".json" || !entry.is_regular_file()) continue;
    try {
      files[std::filesystem::absolute(p).string()] = read_file(p);
    } catch (const std::exception& e) {
      spdlog::warn("tasks dir: {}", e.what());
    }
  }
  return files;
}

}  // namespace skiff::agent
