// The agent's StateChange queue (docs/protocol.md, "StateChange"): every change is on disk
// before it is sent, and stays there until the control plane acks it, so a lost connection
// or an agent restart replays it in order.
//
// One file per change, DIR/<seq>.json, written atomically; DIR/last-seq keeps the counter
// when the queue is empty, because the control plane ignores seqs it has already seen.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <vector>

#include "protocol/frames.h"

namespace skiff::agent {

class Outbox {
 public:
  // Loads what an earlier run left. Unreadable entries are dropped with a warning: one bad
  // file must not stop the queue.
  explicit Outbox(std::filesystem::path dir);

  // Assigns the next seq, stores the change durably and returns it.
  protocol::StateChange push(protocol::StateChange change);
  // Removes every change with seq <= `seq`.
  void ack_through(std::uint64_t seq);
  std::vector<protocol::StateChange> pending() const;
  std::size_t size() const;

 private:
  std::filesystem::path file_for(std::uint64_t seq) const;

  std::filesystem::path dir_;
  mutable std::mutex mu_;
  std::uint64_t last_seq_ = 0;
  std::map<std::uint64_t, protocol::StateChange> pending_;
};

}  // namespace skiff::agent
