// Reading a container's log as the shim writes it: CRI-format lines
//   2026-11-24T22:55:01.123456789Z stdout F hello
// (F = full line, P = partial, continued by the next entry of the same stream), in a file
// rotated by size to path.1, path.2, ... (path.1 is the newest old file).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/unique_fd.h"

namespace skiff::agent {

struct CriEntry {
  std::string_view time;
  std::string_view stream;  // "stdout" or "stderr"
  bool partial = false;
  std::string_view text;
};

// nullopt for a line that is not "TIME STREAM F|P TEXT".
std::optional<CriEntry> parse_cri_line(std::string_view line);

// The files holding `path`'s log, oldest first: path.N ... path.1, path (those that exist).
std::vector<std::filesystem::path> rotated_files(const std::filesystem::path& path);

struct LogOptions {
  std::string stream;               // "stdout", "stderr", or empty for both
  bool timestamps = false;          // prefix each line with its CRI timestamp
  std::optional<std::size_t> tail;  // only the last N lines of what exists now
};

// Turns CRI lines into text lines ("[TIME ]TEXT\n"), joining partial entries per stream.
class LogFormatter {
 public:
  using Sink = std::function<void(std::string_view)>;
  explicit LogFormatter(LogOptions options) : options_(std::move(options)) {}
  // One raw line (without its '\n'); malformed lines pass through unchanged.
  void feed(std::string_view line, const Sink& out);

 private:
  LogOptions options_;
  std::map<std::string, std::string, std::less<>> pending_;  // partial text per stream
};

// Reads what exists (optionally only the tail), then follows the current file across
// rotation and truncation. Not thread-safe; one reader per response.
class LogReader {
 public:
  using Sink = LogFormatter::Sink;
  LogReader(std::filesystem::path path, LogOptions options);

  // Everything written so far. Throws skiff::Error if no log file exists yet.
  void read_existing(const Sink& out);
  // Lines written since the last call (complete lines only). Returns true if any.
  bool poll(const Sink& out);

 private:
  void read_whole(const std::filesystem::path& file, const Sink& out, bool keep_open);
  bool drain_fd(const Sink& out);
  void feed_chunk(std::string_view chunk, const Sink& out);

  std::filesystem::path path_;
  LogOptions options_;
  LogFormatter formatter_;
  UniqueFd current_;  // the file at path_ being followed
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  off_t offset_ = 0;
  std::string carry_;  // bytes after the last '\n'
};

}  // namespace skiff::agent
