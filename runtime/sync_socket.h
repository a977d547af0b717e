// The typed channel between `create` (parent) and the container's init (child): a
// SOCK_SEQPACKET socketpair, so every message arrives whole. Each message is a kind byte
// plus a text payload, optionally carrying one fd (SCM_RIGHTS). The handshake:
//
//   sync 1  parent → child  Start             (child is in its cgroup, id maps written)
//   sync 2  child → parent  RunCreateRuntimeHooks  (namespaces and mounts exist, pre-pivot)
//           parent → child  RunCreateContainerHooks (+ the state JSON for them)
//   sync 3  child → parent  ConsoleMaster+fd  (process.terminal only)
//   sync 4  child → parent  Ready             (pivoted, locked down, blocked on exec.fifo)
//   any     child → parent  Error "step: detail"   then the child exits
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "common/unique_fd.h"

namespace skiff::runtime {

enum class SyncKind : std::uint8_t {
  Start = 1,
  RunCreateRuntimeHooks,
  RunCreateContainerHooks,
  ConsoleMaster,
  Ready,
  Error,
  Pid,  // exec: the workload's pid as the runtime sees it
};

const char* to_string(SyncKind kind);

struct SyncMessage {
  SyncKind kind;
  std::string text;
  UniqueFd fd;  // set for ConsoleMaster
};

class SyncSocket {
 public:
  // Returns {parent end, child end}; both close-on-exec.
  static std::pair<SyncSocket, SyncSocket> make_pair();
  explicit SyncSocket(UniqueFd fd) : fd_(std::move(fd)) {}

  void send(SyncKind kind, const std::string& text = {}, int fd = -1);
  // Blocks for the next message; EOF (the peer died without a word) throws.
  SyncMessage receive();
  // Like receive(), but EOF gives nullopt: after an exec, EOF is the good news.
  std::optional<SyncMessage> receive_or_eof();
  // Receives and checks the kind. An Error message from the child becomes skiff::Error
  // with the child's text, so it reaches the user unchanged.
  SyncMessage expect(SyncKind kind);
  int fd() const { return fd_.get(); }
  void close() { fd_.reset(); }

 private:
  UniqueFd fd_;
};

}  // namespace skiff::runtime
