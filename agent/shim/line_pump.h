// Reads one of the container's pipes into a fixed buffer and hands complete lines to a
// LogSink. A line's tail waits in the buffer for the rest while more data is queued in the
// pipe (so a burst cut at a read boundary is not split), but is written as a partial
// record once the pipe is empty (an interactive prompt shows up at once) or when one line
// fills the whole buffer (memory stays bounded: longer lines become P, P, ..., F).
#pragma once

#include <cstddef>

#include "agent/shim/log_sink.h"

namespace skiff::agent {

class LinePump {
 public:
  explicit LinePump(LogStream stream) : stream_(stream) {}
  enum class Result { more, again, eof };
  // Reads non-blocking `fd` until it is empty (or 16 reads); at EOF (or a read error) the
  // tail is flushed.
  Result pump(int fd, LogSink& sink);
  // Feeds bytes as if read from the pipe; `drained` says the pipe is now empty.
  void feed(const char* data, std::size_t size, bool drained, LogSink& sink);
  void flush(LogSink& sink);

 private:
  void emit_lines(bool drained, LogSink& sink);

  LogStream stream_;
  char buf_[kChunkSize];
  std::size_t len_ = 0;
};

}  // namespace skiff::agent
