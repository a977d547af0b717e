// Where a container's stdout/stderr go. The shim reads each pipe into one fixed buffer and
// hands every chunk to split_chunk(), which cuts it into records: a complete line is "full",
// the unterminated tail of a chunk is "partial" (CRI's P tag), so a line longer than the
// buffer, or written in pieces, becomes P... F and memory stays bounded.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace skiff::agent {

enum class LogStream { out, err };

// The pipe read size, and so the longest record: longer lines are split into P records.
inline constexpr std::size_t kChunkSize = 8192;

inline const char* stream_name(LogStream s) {
  return s == LogStream::out ? "stdout" : "stderr";
}

class LogSink {
 public:
  virtual ~LogSink() = default;
  // One record without its newline. Never throws: a full disk must not stop the pump.
  virtual void write(LogStream stream, bool partial, const char* data, std::size_t size) = 0;
};

// Cuts a chunk read from a pipe into records for `sink`.
void split_chunk(LogSink& sink, LogStream stream, const char* data, std::size_t size);

// Drains and drops (log driver "none").
class NullLogSink final : public LogSink {
 public:
  void write(LogStream, bool, const char*, std::size_t) override {}
};

struct LogOptions {
  std::string driver = "file";  // file | journald | none
  std::string path;             // file: the log file
  unsigned long long max_size = 10ull << 20;
  unsigned max_files = 3;
  std::string container_id;
  std::string container_name;
};

// Throws skiff::Error naming the driver, the file or the library that failed.
std::unique_ptr<LogSink> make_log_sink(const LogOptions& options);

}  // namespace skiff::agent
