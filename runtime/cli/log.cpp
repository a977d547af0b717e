#include "runtime/cli/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "runtime/container_state.h"

namespace skiff::runtime::cli {

namespace {

LogConfig g_config;

void append(const std::string& level, const std::string& message) {
  if (g_config.file.empty()) return;
  std::string line;
  if (g_config.format == "json") {
    line =
        nlohmann::json{{"level", level}, {"msg", message}, {"time", now_rfc3339()}}.dump() + "\n";
  } else {
    line = "time=\"" + now_rfc3339() + "\" level=" + level +
           " msg=" + nlohmann::json(message).dump() + "\n";
  }
  int fd = ::open(g_config.file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;  // logging must never turn a result into a different error
  (void)!::write(fd, line.data(), line.size());
  ::close(fd);
}

}  // namespace

void configure_log(const LogConfig& config) {
  g_config = config;
}

void log_error(const std::string& message) {
  std::fprintf(stderr, "skiff-runtime: %s\n", message.c_str());
  append("error", message);
}

void log_warning(const std::string& message) {
  std::fprintf(stderr, "skiff-runtime: warning: %s\n", message.c_str());
  append("warning", message);
}

void log_debug(const std::string& message) {
  if (!g_config.debug) return;
  std::fprintf(stderr, "skiff-runtime: debug: %s\n", message.c_str());
  append("debug", message);
}

}  // namespace skiff::runtime::cli
