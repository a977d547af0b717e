// Error and warning output as runc writes it: a line on stderr, and, with --log, the same
// record in the log file (--log-format json gives {"level","msg","time"} lines, which podman
// and conmon read back to show the user why a runtime call failed).
#pragma once

#include <string>

namespace skiff::runtime::cli {

struct LogConfig {
  std::string file;
  std::string format = "text";  // text | json
  bool debug = false;
};

void configure_log(const LogConfig& config);
void log_error(const std::string& message);
void log_warning(const std::string& message);
void log_debug(const std::string& message);

}  // namespace skiff::runtime::cli
