#include "agent/connection/outbox.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/file_io.h"

namespace skiff::agent {
Outbox::Outbox(std::filesystem::path dir) : dir_(std::move(dir)) {
  std::filesystem::create_directories(dir_);
  const auto counter = dir_ / "last-seq";
  if (std::filesystem::exists(counter)) {
    try {
      last_seq_ = std::stoull(read_file(counter));
    } catch (const std::exception& e) {
      spdlog::warn("{}: unreadable ({}); counting on from the queued changes", counter.string(),
                   e.what());
    }
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    const auto& p = entry.path();
    if (p.extension() != ".json") continue;
    try {
      // Stored as a whole frame so the protocol library validates it on the way back in.
      auto frame = protocol::parse_frame(read_file(p));
      auto sc = std::get<protocol::StateChange>(frame.body);
      last_seq_ = std::max(last_seq_, sc.seq);
      pending_.emplace(sc.seq, std::move(sc));
    } catch (const std::exception& e) {
      spdlog::warn("state change {} dropped: {}", p.string(), e.what());
      std::error_code ec;
      std::filesystem::remove(p, ec);
    }
  }
}

std::filesystem::path Outbox::file_for(std::uint64_t seq) const {
  return dir_ / fmt::format("{:020}.json", seq);
}

protocol::StateChange Outbox::push(protocol::StateChange change) {
  std::lock_guard lock(mu_);
  change.seq = last_seq_ + 1;
  if (change.at.empty()) change.at = protocol::now_rfc3339();
  write_file_atomic(file_for(change.seq), protocol::serialize({change.seq, change}), 0600);
  last_seq_ = change.seq;
  pending_.emplace(change.seq, change);
  return change;
}

void Outbox::ack_through(std::uint64_t seq) {
  std::lock_guard lock(mu_);
  if (pending_.empty() || pending_.begin()->first > seq) return;
  // Only an emptied queue loses its newest file, and with it the counter: save that first.
  // Otherwise the newest pending file still carries it, and an ack costs no fsync.
  if (pending_.rbegin()->first <= seq) {
    write_file_atomic(dir_ / "last-seq", std::to_string(last_seq_) + "\n", 0600);
  }
  while (!pending_.empty() && pending_.begin()->first <= seq) {
    std::error_code ec;
    std::filesystem::remove(file_for(pending_.begin()->first), ec);
    pending_.erase(pending_.begin());
  }
}

std::vector<protocol::StateChange> Outbox::pending() const {
  std::lock_guard lock(mu_);
  std::vector<protocol::StateChange> out;
  for (const auto& [seq, sc] : pending_) out.push_back(sc);
  return out;
}

std::size_t Outbox::size() const {
  std::lock_guard lock(mu_);
  return pending_.size();
}

}  // namespace skiff::agent
