// Where a container's stdout/stderr go: records cut by LinePump (line_pump.h). A complete
// line is "full"; a piece of one (longer than the buffer, or its tail while the writer
// paused) is "partial" (CRI's P tag), so memory stays bounded.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace skiff::agent {

enum class LogStream { out, err };

// The pump's buffer per stream, and so the longest record: longer lines become P records.
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
