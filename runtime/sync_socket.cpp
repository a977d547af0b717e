#include "runtime/sync_socket.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "common/error.h"
#include "common/fd_passing.h"

namespace skiff::runtime {

namespace {
constexpr size_t kMaxMessage = 64 * 1024;
}

const char* to_string(SyncKind kind) {
  switch (kind) {
    case SyncKind::Start:
      return "Start";
    case SyncKind::RunCreateRuntimeHooks:
      return "RunCreateRuntimeHooks";
    case SyncKind::RunCreateContainerHooks:
      return "RunCreateContainerHooks";
    case SyncKind::ConsoleMaster:
      return "ConsoleMaster";
    case SyncKind::Ready:
      return "Ready";
    case SyncKind::Error:
      return "Error";
    case SyncKind::Pid:
      return "Pid";
  }
  return "?";
}

std::pair<SyncSocket, SyncSocket> SyncSocket::make_pair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) {
    throw_errno("socketpair", "sync socket");
  }
  return {SyncSocket(UniqueFd(fds[0])), SyncSocket(UniqueFd(fds[1]))};
}

void SyncSocket::send(SyncKind kind, const std::string& text, int fd) {
  std::string payload(1, static_cast<char>(kind));
  payload.append(text, 0, kMaxMessage - 1);
  if (!send_with_fd(fd_.get(), payload.data(), payload.size(), fd)) {
    throw_errno(std::string("send ") + to_string(kind) + " on", "sync socket");
  }
}

SyncMessage SyncSocket::receive() {
  auto m = receive_or_eof();
  if (!m) throw Error("container init exited before it finished setting up");
  return std::move(*m);
}

std::optional<SyncMessage> SyncSocket::receive_or_eof() {
  // Uninitialised: zeroing 64 KiB for every message was a visible part of a start.
  auto buf = std::make_unique_for_overwrite<char[]>(kMaxMessage);
  iovec iov{buf.get(), kMaxMessage};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  while ((n = ::recvmsg(fd_.get(), &msg, MSG_CMSG_CLOEXEC)) < 0) {
    if (errno != EINTR) throw_errno("receive on", "sync socket");
  }
  if (n == 0) return std::nullopt;
  SyncMessage out{
      static_cast<SyncKind>(buf[0]), std::string(buf.get() + 1, static_cast<size_t>(n) - 1), {}};
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
      out.fd.reset(fd);
    }
  }
  return out;
}

SyncMessage SyncSocket::expect(SyncKind kind) {
  SyncMessage m = receive();
  if (m.kind == SyncKind::Error) throw Error(m.text);
  if (m.kind != kind) {
    throw Error(std::string("sync: expected ") + to_string(kind) + " from container init, got " +
                to_string(m.kind));
  }
  return m;
}

}  // namespace skiff::runtime
