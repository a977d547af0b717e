#include "agent/engine/state_store.h"

#include <algorithm>
#include <system_error>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/file_io.h"

namespace skiff::agent {

StateStore::StateStore(Paths paths) : paths_(std::move(paths)) {}

void StateStore::save(const TaskRecord& task) {
  auto dir = paths_.task_dir(task.id);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw SysError("mkdir", dir.string(), ec.value());
  // Compact: indenting makes the file grow with the square of the definition's depth.
  write_file_atomic(paths_.task_file(task.id), task.to_json().dump(), 0600);
}

std::vector<TaskRecord> StateStore::load_all(std::vector<std::string>& problems) {
  std::vector<TaskRecord> tasks;
  std::error_code ec;
  if (!std::filesystem::exists(paths_.tasks_dir(), ec)) return tasks;
  for (const auto& entry : std::filesystem::directory_iterator(paths_.tasks_dir(), ec)) {
    auto file = entry.path() / "task.json";
    if (!std::filesystem::exists(file)) continue;  // a task dir whose first save never landed
    try {
      auto doc = nlohmann::json::parse(read_file(file));
      tasks.push_back(TaskRecord::from_json(doc));
    } catch (const std::exception& e) {
      problems.push_back(file.string() + ": " + e.what());
    }
  }
  std::sort(tasks.begin(), tasks.end(), [](const TaskRecord& a, const TaskRecord& b) {
    return a.created_at_ms != b.created_at_ms ? a.created_at_ms < b.created_at_ms : a.id < b.id;
  });
  return tasks;
}

void StateStore::remove(const std::string& task_id) {
  std::error_code ec;
  std::filesystem::remove_all(paths_.task_dir(task_id), ec);
  if (ec) throw SysError("remove", paths_.task_dir(task_id).string(), ec.value());
}

}  // namespace skiff::agent
