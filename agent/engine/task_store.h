// Where the engine keeps task.json: the engine saves its intent here before each action,
// and recovery reads it back. StateStore (state_store.h) is the real one, on disk; a test
// wraps it to make a save fail as a full disk would.
#pragma once

#include <string>
#include <vector>

#include "agent/engine/task_record.h"

namespace skiff::agent {

class TaskStore {
 public:
  virtual ~TaskStore() = default;

  // Replaces the task's record; throws (skiff::SysError naming the file, ENOSPC included)
  // and then leaves the previous record intact.
  virtual void save(const TaskRecord& task) = 0;
  // Every readable record, oldest first; unreadable ones are reported in `problems`.
  virtual std::vector<TaskRecord> load_all(std::vector<std::string>& problems) = 0;
  // Deletes the task's record and everything kept beside it.
  virtual void remove(const std::string& task_id) = 0;
};

}  // namespace skiff::agent
