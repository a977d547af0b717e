// Log driver "journald": one journal entry per record through libsystemd's sd_journal_sendv,
// with CONTAINER_ID, CONTAINER_NAME, PRIORITY (6 stdout, 3 stderr) and
// CONTAINER_PARTIAL_MESSAGE=true on partial records (docker's field names).
//
// libsystemd is loaded with dlopen only when this driver is chosen: linking it costs every
// shim ~0.3 MiB of private relocated data, while most shims log to files (measured; see
// bench/agent/shim_memory.sh).
#pragma once

#include <sys/uio.h>

#include <string>

#include "agent/shim/log_sink.h"

namespace skiff::agent {

class JournalLog final : public LogSink {
 public:
  // Throws skiff::Error if libsystemd.so.0 cannot be loaded.
  JournalLog(std::string container_id, std::string container_name);
  ~JournalLog() override;
  JournalLog(const JournalLog&) = delete;
  JournalLog& operator=(const JournalLog&) = delete;
  void write(LogStream stream, bool partial, const char* data, std::size_t size) override;

 private:
  using SendV = int (*)(const iovec*, int);
  void* library_ = nullptr;
  SendV sendv_ = nullptr;
  std::string id_field_;
  std::string name_field_;
};

}  // namespace skiff::agent
