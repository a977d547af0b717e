#include "agent/connection/desired_seqs.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "common/atomic_file.h"
#include "common/file_io.h"

namespace skiff::agent {

DesiredSeqs::DesiredSeqs(std::filesystem::path file) : file_(std::move(file)) {
  if (!std::filesystem::exists(file_)) return;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(file_), nullptr, false);
  } catch (const std::exception& e) {
    spdlog::warn("{}; starting with no desiredSeqs", e.what());
    return;
  }
  if (!j.is_object()) {
    spdlog::warn("{}: not a JSON object; starting with no desiredSeqs", file_.string());
    return;
  }
  for (const auto& [id, seq] : j.items()) {
    if (seq.is_number_unsigned()) seqs_[id] = seq.get<std::uint64_t>();
  }
}

bool DesiredSeqs::accept(const std::string& task_id, std::uint64_t seq) {
  std::lock_guard lock(mu_);
  auto& held = seqs_[task_id];
  if (seq <= held && held != 0) return false;
  held = seq;
  save();
  return true;
}

std::uint64_t DesiredSeqs::get(const std::string& task_id) const {
  std::lock_guard lock(mu_);
  auto it = seqs_.find(task_id);
  return it == seqs_.end() ? 0 : it->second;
}

bool DesiredSeqs::knows(const std::string& task_id) const {
  std::lock_guard lock(mu_);
  return seqs_.count(task_id) > 0;
}

void DesiredSeqs::retain(const std::set<std::string>& keep) {
  std::lock_guard lock(mu_);
  const auto before = seqs_.size();
  std::erase_if(seqs_, [&](const auto& e) { return !keep.count(e.first); });
  if (seqs_.size() != before) save();
}

void DesiredSeqs::save() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [id, seq] : seqs_) j[id] = seq;
  write_file_atomic(file_, j.dump() + "\n", 0600);
}

}  // namespace skiff::agent
