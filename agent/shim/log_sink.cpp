#include "agent/shim/log_sink.h"

#include "agent/shim/file_log.h"
#include "agent/shim/journal_log.h"
#include "common/error.h"

namespace skiff::agent {

std::unique_ptr<LogSink> make_log_sink(const LogOptions& options) {
  if (options.driver == "file") {
    if (options.path.empty()) throw Error("log driver file needs --log-path");
    return std::make_unique<FileLog>(options.path, options.max_size, options.max_files);
  }
  if (options.driver == "journald") {
    return std::make_unique<JournalLog>(options.container_id, options.container_name);
  }
  if (options.driver == "none") return std::make_unique<NullLogSink>();
  throw Error("unknown log driver '" + options.driver + "' (file, journald or none)");
}

}  // namespace skiff::agent
