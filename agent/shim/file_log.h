// Log driver "file": CRI lines ("<RFC3339Nano> stdout F text"), one write(2) each, rotated
// by size: when the next line would pass max_size the file moves to .1 (.1 to .2, ...) and
// a fresh one starts, so at most max_files files exist (file, file.1 ... file.N-1).
#pragma once

#include <string>

#include "agent/shim/log_sink.h"
#include "common/unique_fd.h"

namespace skiff::agent {

class FileLog final : public LogSink {
 public:
  // Opens (appends to) `path`; throws SysError naming it.
  FileLog(std::string path, unsigned long long max_size, unsigned max_files);
  void write(LogStream stream, bool partial, const char* data, std::size_t size) override;

 private:
  void open_file();
  void rotate();

  std::string path_;
  unsigned long long max_size_;
  unsigned max_files_;
  UniqueFd fd_;
  unsigned long long size_ = 0;
};

}  // namespace skiff::agent
