// The newest desiredSeq applied per control-plane task, kept on disk so a replayed or late
// Payload never undoes a newer decision, across agent restarts too (the ECS SeqNum rule).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <string>

namespace skiff::agent {

class DesiredSeqs {
 public:
  explicit DesiredSeqs(std::filesystem::path file);

  // True, and remembered, if `seq` is newer than what `task_id` holds.
  bool accept(const std::string& task_id, std::uint64_t seq);
  std::uint64_t get(const std::string& task_id) const;  // 0 if unknown
  bool knows(const std::string& task_id) const;
  // Drops entries not in `keep` (tasks the engine has forgotten).
  void retain(const std::set<std::string>& keep);

 private:
  void save() const;

  std::filesystem::path file_;
  mutable std::mutex mu_;
  std::map<std::string, std::uint64_t> seqs_;
};

}  // namespace skiff::agent
