// task.json files under Paths::tasks_dir(), each replaced atomically.
#pragma once

#include <string>
#include <vector>

#include "agent/engine/paths.h"
#include "agent/engine/task_record.h"
#include "agent/engine/task_store.h"

namespace skiff::agent {

class StateStore final : public TaskStore {
 public:
  explicit StateStore(Paths paths);

  // Throws skiff::SysError naming the file (ENOSPC included); the previous task.json, if
  // any, is then still intact.
  void save(const TaskRecord& task) override;
  // Every readable task; files that fail to parse are reported in `problems` and left on
  // disk for a person to look at, never deleted.
  std::vector<TaskRecord> load_all(std::vector<std::string>& problems) override;
  // Deletes the task's directory (its bundles must be unmounted first).
  void remove(const std::string& task_id) override;

 private:
  Paths paths_;
};

}  // namespace skiff::agent
