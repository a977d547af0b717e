#include "agent/shim/line_pump.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace skiff::agent {

LinePump::Result LinePump::pump(int fd, LogSink& sink) {
  // A read that fills the buffer may leave more queued: read on (a bounded number of times,
  // so one chatty stream cannot starve the other) until a short read says it is empty.
  for (int i = 0; i < 16; ++i) {
    std::size_t room = sizeof buf_ - len_;
    ssize_t n = ::read(fd, buf_ + len_, room);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      flush(sink);  // nothing queued after all: the tail is as complete as it gets for now
      return Result::again;
    }
    if (n <= 0) {
      flush(sink);
      return Result::eof;
    }
    len_ += static_cast<std::size_t>(n);
    bool drained = static_cast<std::size_t>(n) < room;
    emit_lines(drained, sink);
    if (drained) break;
  }
  return Result::more;
}

void LinePump::feed(const char* data, std::size_t size, bool drained, LogSink& sink) {
  while (size > 0) {
    std::size_t take = size < sizeof buf_ - len_ ? size : sizeof buf_ - len_;
    std::memcpy(buf_ + len_, data, take);
    len_ += take;
    data += take;
    size -= take;
    emit_lines(drained && size == 0, sink);
  }
}

void LinePump::flush(LogSink& sink) {
  if (len_ > 0) sink.write(stream_, true, buf_, len_);
  len_ = 0;
}

void LinePump::emit_lines(bool drained, LogSink& sink) {
  std::size_t start = 0;
  while (start < len_) {
    const char* nl = static_cast<const char*>(std::memchr(buf_ + start, '\n', len_ - start));
    if (!nl) break;
    std::size_t end = static_cast<std::size_t>(nl - buf_);
    sink.write(stream_, false, buf_ + start, end - start);
    start = end + 1;
  }
  std::size_t tail = len_ - start;
  if (tail == sizeof buf_ || (tail > 0 && drained)) {
    sink.write(stream_, true, buf_ + start, tail);
    len_ = 0;
    return;
  }
  std::memmove(buf_, buf_ + start, tail);
  len_ = tail;
}

}  // namespace skiff::agent
